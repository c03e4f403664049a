"""Finds NUL in the parts of a multipart body that become text: part headers and plain fields.

A file part's content is its parser's business (a file of NULs is a bad file, reported with its
line), but a part's headers (its file name) and the value of a field without a file name reach the
application as strings, and SQLite would store a NUL in them silently. The scanner reads the body
as it streams, keeps at most a delimiter's length of it, and never parses more than it must.
"""

from enum import Enum, auto

MAX_PART_HEADER_BYTES = 16 * 1024
HEADERS_END = b"\r\n\r\n"
# Raw and escaped: JSON decodes `\u0000`, forms `%00`, and a part header may carry RFC 5987 escapes.
NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")
NUL_REFUSED = "NUL characters are not accepted."


class MultipartRefused(ValueError):
    """The body holds NUL where it becomes text (422), or a part's headers are too large (400)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _State(Enum):
    CONTENT = auto()  # the preamble, a file's content or a field's value: up to the next delimiter
    AFTER_DELIMITER = auto()  # `--` (the end) or the line break before the next part's headers
    HEADERS = auto()
    EPILOGUE = auto()


def boundary_of(content_type: bytes) -> bytes | None:
    """The boundary parameter of a multipart Content-Type, quotes removed; None when absent."""
    for parameter in content_type.split(b";")[1:]:
        name, _, value = parameter.strip().partition(b"=")
        if name.strip().lower() == b"boundary" and value:
            return value.strip().strip(b'"')
    return None


class MultipartNulScanner:
    def __init__(self, boundary: bytes) -> None:
        self.delimiter = b"\r\n--" + boundary
        # The first delimiter may open the body without a line break before it.
        self.buffer = b"\r\n"
        self.state = _State.CONTENT
        self.in_text_part = False  # the preamble is nobody's text

    def feed(self, chunk: bytes) -> None:
        """Raises MultipartRefused as soon as a NUL is found where it would become text."""
        self.buffer += chunk
        while self._step():
            pass

    def _step(self) -> bool:
        """Consumes what the buffer allows in the current state; False when it needs more bytes."""
        if self.state is _State.CONTENT:
            return self._content()
        if self.state is _State.AFTER_DELIMITER:
            return self._after_delimiter()
        if self.state is _State.HEADERS:
            return self._headers()
        self.buffer = b""  # the epilogue is ignored, as parsers do
        return False

    def _content(self) -> bool:
        found = self.buffer.find(self.delimiter)
        # Without a delimiter, keep what could be the start of one and judge the rest now.
        end = found if found >= 0 else max(0, len(self.buffer) - len(self.delimiter) + 1)
        if self.in_text_part and b"\x00" in self.buffer[:end]:
            raise MultipartRefused(422, NUL_REFUSED)
        if found < 0:
            self.buffer = self.buffer[end:]
            return False
        self.buffer = self.buffer[found + len(self.delimiter) :]
        self.state = _State.AFTER_DELIMITER
        return True

    def _after_delimiter(self) -> bool:
        if len(self.buffer) < 2:
            return False
        if self.buffer.startswith(b"--"):
            self.state = _State.EPILOGUE
            return True
        line_end = self.buffer.find(b"\r\n")  # transport padding may come before the line break
        if line_end < 0:
            self.buffer = self.buffer[-1:]
            return False
        self.buffer = self.buffer[line_end + 2 :]
        self.state = _State.HEADERS
        return True

    def _headers(self) -> bool:
        end = self.buffer.find(HEADERS_END)
        if (len(self.buffer) if end < 0 else end) > MAX_PART_HEADER_BYTES:
            raise MultipartRefused(400, f"A multipart part's headers exceed {MAX_PART_HEADER_BYTES} bytes.")
        if end < 0:
            return False  # bounded just above, so the headers may wait whole in the buffer
        headers = self.buffer[:end]
        if any(marker in headers for marker in NUL_MARKERS):
            raise MultipartRefused(422, NUL_REFUSED)
        self.in_text_part = b"filename" not in headers.lower()
        self.buffer = self.buffer[end + len(HEADERS_END) :]
        self.state = _State.CONTENT
        return True
