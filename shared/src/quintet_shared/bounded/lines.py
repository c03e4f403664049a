"""Reading a text file line by line in blocks, with a bound on each line's length.

Splitting 64 KiB blocks costs far less per line than one `readline` call each; a line that grows
past the bound is cut, and the rest of it is skipped as it streams by, never held in memory: a
1 GB line costs one block of memory. The caller reports a cut line with `too_long_message`, which
names the limit.
"""

from collections.abc import Iterator
from typing import BinaryIO

MAX_LINE_BYTES = 4096  # the default bound: far above any record of a line-based format
BLOCK_BYTES = 1 << 16
TOO_LONG = b"\n"
KEPT_BYTES = 16


def too_long(line: bytes) -> bytes:
    return TOO_LONG + line[:KEPT_BYTES]


def line_blocks(reader: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[list[bytes]]:
    """Lists of consecutive lines without their line ends (LF or CRLF). A line longer than `limit`
    bytes comes as `too_long(line)`: a newline (which no real line holds) and the line's first bytes,
    so a parser finds it only on its path for unexpected lines, at no cost to the common path."""
    rest, skipping = b"", False
    while block := reader.read(BLOCK_BYTES):
        if skipping:  # inside an over-long line already reported: drop bytes up to its end
            end = block.find(b"\n")
            if end < 0:
                continue
            block, skipping = block[end + 1 :], False
        chunk = rest + block
        lines = chunk.split(b"\n")
        rest = lines.pop()
        if len(rest) > limit + 1:  # + 1: a CR waiting for its LF
            lines.append(too_long(rest))
            rest, skipping = b"", True
        if lines:
            yield _tidy(lines, limit, crlf=b"\r" in chunk)
    if rest:
        yield _tidy([rest], limit, crlf=rest.endswith(b"\r"))


def _tidy(lines: list[bytes], limit: int, *, crlf: bool) -> list[bytes]:
    """Cut over-long lines and drop the CR of CRLF endings (both rare: checked per block)."""
    if crlf:
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    if max(map(len, lines)) > limit:
        lines = [too_long(line) if len(line) > limit else line for line in lines]
    return lines


def too_long_message(limit: int = MAX_LINE_BYTES) -> str:
    return f"line is longer than {limit} bytes; skipped"
