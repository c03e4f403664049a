"""JSON events of an untrusted file, every size bounded before a parser acts on it.

ijson's `parse` builds each event's prefix ("item.readings.item.a.a...") as a new string, so an
event at depth d costs O(d) and a file nested d deep O(d²): 10,000 levels (60 KB) took 114 MB and
20,000 levels 426 MB; 120,000 levels (720 KB) took 24 GB. `basic_parse` builds no prefix and stays
flat (120,000 levels: 17 MB, 0.09 s), so the events are read with it, checked here, and only then
may a caller rebuild prefixes from them (`ijson.parse(json_events(...))`), never deeper than
`max_depth`.

yajl keeps a token that is not complete yet (a string, a number, a key) in its own buffer, and ijson
holds a whole string until its closing quote: a 1 GB string would be 1 GB in memory before any event
could be checked. So the bytes go to the parser in blocks (its push interface), and when
`max_token_bytes` have gone in without a single event coming out, the file is refused right there.
A number is bounded in digits (`max_number_digits`), so a consumer never formats or compares a
megabyte of them; the check costs one `__sizeof__` call for an ordinary Decimal (its digits are
counted only when it is too big to keep them inline), which left the potatoes parse time unchanged.
A number of more than 4,300 digits makes Python's int conversion fail inside ijson (a SystemError,
not a JSON error, and the event list it was filling then holds a half-built event that crashes the
interpreter when read); it is reported as the bound it is, before any event of its block is read.

The tokens of the whole document are counted too (`max_events`), per block, so a file of millions
of tiny values ends at a known cost whatever its consumer does with them.

Where: a refusal names the line, or the range of lines of the block being parsed when it was found.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO

import ijson

from quintet_shared.bounded.errors import InputLimitExceeded, lines_label

BLOCK_BYTES = 1 << 16
PYTHON_INT_DIGITS = 4300  # sys.get_int_max_str_digits(): a longer integer cannot be converted
OPENS = ("start_map", "start_array")
CLOSES = ("end_map", "end_array")
INLINE_DECIMAL = Decimal(1).__sizeof__()


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_depth: int = 64  # nested arrays and objects
    max_key_chars: int = 256
    max_string_chars: int = 64 * 1024
    max_number_digits: int = 100
    max_events: int = 50_000_000  # tokens in the whole document: about 15 s of parsing
    max_token_bytes: int = 1 << 20  # bytes read without a complete token (a huge string or number)
    block_bytes: int = BLOCK_BYTES


def json_events(reader: BinaryIO, limits: JsonLimits | None = None) -> Iterator[tuple[str, Any]]:
    """ijson's basic events (`(event, value)`, numbers as exact Decimal or int) of the JSON document
    `reader` holds, each checked against `limits` before it is yielded. Raises InputLimitExceeded
    (naming the limit and the line) and ijson.JSONError for JSON that is not valid."""
    limits = limits or JsonLimits()
    events = ijson.sendable_list()
    parser = ijson.basic_parse_coro(events, use_float=False)
    depth, line, starving, seen = 0, 1, 0, 0  # starving: bytes fed since the last event
    while True:
        block = reader.read(limits.block_bytes)
        last_line = line + block.count(b"\n")
        where = lines_label(line, last_line)
        failure = _feed(parser, block, where)
        if events:
            starving = 0
            seen += len(events)  # counted per block: no cost per event
            if seen > limits.max_events:
                raise InputLimitExceeded(f"{where}: more than {limits.max_events} JSON tokens (values, keys, brackets)")
        else:
            starving += len(block)
            if starving > limits.max_token_bytes:
                raise InputLimitExceeded(
                    f"{where}: more than {limits.max_token_bytes} bytes without a complete JSON token "
                    f"(a string, number or key longer than {limits.max_token_bytes} bytes)"
                )
        for item in events:
            event = item[0]
            if event in OPENS:
                depth += 1
                if depth > limits.max_depth:
                    raise InputLimitExceeded(f"{where}: nesting deeper than {limits.max_depth} levels")
            elif event in CLOSES:
                depth -= 1
            elif event == "string":
                if len(item[1]) > limits.max_string_chars:
                    raise InputLimitExceeded(f"{where}: a string longer than {limits.max_string_chars} characters")
            elif event == "map_key":
                if len(item[1]) > limits.max_key_chars:
                    raise InputLimitExceeded(f"{where}: a key longer than {limits.max_key_chars} characters")
            elif event == "number" and _too_long(item[1], limits.max_number_digits):
                raise InputLimitExceeded(f"{where}: a number of more than {limits.max_number_digits} digits")
            yield item
        del events[:]
        if failure is not None:
            raise failure  # after the events that came before it, as ijson's own parse does
        if not block:
            return
        line = last_line


def _too_long(number: object, digits: int) -> bool:
    if type(number) is int:
        return number.bit_length() > digits * 3 and len(str(abs(number))) > digits  # bits: a quick first cut
    # A Decimal of up to 38 digits keeps them inline (__sizeof__ 104): counting them is only worth
    # it for a bigger one, so the millions of ordinary numbers cost one cheap call each.
    return type(number) is Decimal and number.__sizeof__() > INLINE_DECIMAL and len(number.as_tuple().digits) > digits


def _feed(parser: Any, block: bytes, where: str) -> Exception | None:
    """One block into the parser; the empty block of the end of the file closes it. Returns the
    error the block ended in (ijson.JSONError for invalid JSON, InputLimitExceeded), if any."""
    try:
        if block:
            parser.send(block)
        else:
            parser.close()
    except ijson.JSONError as error:
        return error
    except SystemError as error:
        # The block's events are not to be trusted after this (one of them is half built): none is
        # yielded, the refusal comes at once.
        if isinstance(error.__cause__ or error.__context__, ValueError):
            raise InputLimitExceeded(f"{where}: a number longer than {PYTHON_INT_DIGITS} digits") from None
        raise
    return None
