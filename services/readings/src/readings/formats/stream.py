"""Opening a client file: refuse what is not a text file at all, then read it through one buffer.

The first kilobyte is read to tell an empty or binary file before anything is parsed; it is then put
back in front of the rest, so a parser sees the whole file through an ordinary buffered reader and
never holds more than that buffer and one record.
"""

import io
from typing import BinaryIO

from readings.formats.base import FileUnusable

SNIFF_BYTES = 1024
BUFFER_BYTES = 1 << 16
UTF8_BOM = b"\xef\xbb\xbf"


class _Prefixed(io.RawIOBase):
    """The sniffed head, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer)) or b""
        buffer[: len(data)] = data
        return len(data)


def open_text(stream: BinaryIO) -> io.BufferedReader:
    """A buffered reader over `stream`, after checking that the file is neither empty nor binary.
    A UTF-8 byte order mark is dropped (some editors write one)."""
    head = stream.read(SNIFF_BYTES) or b""
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM) :]
    check_head(head, complete=len(head) < SNIFF_BYTES - len(UTF8_BOM))
    return io.BufferedReader(_Prefixed(head, stream), buffer_size=BUFFER_BYTES)


def check_head(head: bytes, *, complete: bool) -> None:
    """Raise FileUnusable for an empty or binary file, judged by its first kilobyte."""
    if complete and not head.strip():
        raise FileUnusable("the file is empty")
    if b"\x00" in head:
        raise FileUnusable("the file is binary (it contains NUL bytes), not a text file")
    text = head.decode("utf-8", errors="replace")
    # A few bad bytes are row errors; a head that is mostly undecodable is not text at all.
    if text.count("\ufffd") * 3 > len(text):
        raise FileUnusable("the file is binary (its first kilobyte is mostly not UTF-8), not a text file")


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
