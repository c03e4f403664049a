"""Reading untrusted files with every size bounded before it is trusted.

A parser that takes a client's file must not let the file decide how much memory or time it costs:
`json_events` bounds the nesting depth, the size of every key, string and number, and the bytes one
token may span; `line_blocks` bounds the length of a line. Each refusal is an `InputLimitExceeded`
whose message names the limit and where the input broke it ("line 3: nesting deeper than 64
levels"), so the parser can fail the file with a reason its sender can act on.
"""

from quintet_shared.bounded.errors import InputLimitExceeded
from quintet_shared.bounded.json import JsonLimits, json_events
from quintet_shared.bounded.lines import MAX_LINE_BYTES, line_blocks, too_long, too_long_message

__all__ = [
    "MAX_LINE_BYTES",
    "InputLimitExceeded",
    "JsonLimits",
    "json_events",
    "line_blocks",
    "too_long",
    "too_long_message",
]
