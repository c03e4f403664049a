"""The profiles CSV, read as a stream: `user,email,latitude,longitude,segments`, one profile a line.

- The first line is the header, exactly those five names in that order (case and spaces around them
  do not matter, nor a UTF-8 byte order mark); without it the file is refused as a whole.
- One record per line, UTF-8, LF or CRLF. Fields may be quoted as in RFC 4180 (`"Smith, Ana"`,
  `""` for a quote inside), but a quoted field cannot span lines. Empty lines are skipped.
- `user`: the client's own reference, kept exactly as written (leading zeros, spaces inside and
  around: `007` and ` 7` are other users than `7`); 1 to 200 characters.
- `email`: optional (empty = none); spaces around it are dropped.
- `latitude`, `longitude`: decimal degrees, both or neither (both empty = no location); 0 is a
  coordinate like any other. In range (-90..90, -180..180), finite.
- `segments`: names of the client's existing segments, separated by `;` (empty = none; spaces around
  a name and empty names are dropped). A name the client has no segment for is a row error: segments
  are made on purpose through `/promotions/segments`, and a typo in a file must not become a new
  segment that promos could target.

A bad row is a `LineError` naming its line and why; the file goes on. A line longer than
MAX_LINE_BYTES is reported and skipped without being held in memory (quintet_shared.bounded).
Every check here is one the database would otherwise fail a whole statement on, so that a bad row is
never a failed import.
"""

import csv
import math
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from quintet_shared.bounded import MAX_LINE_BYTES, line_blocks, too_long_message
from quintet_shared.bulk import FileUnusable, LineError

HEADER = ("user", "email", "latitude", "longitude", "segments")
HEADER_TEXT = ",".join(HEADER)
MAX_USER = 200  # models.Profile.user
MAX_EMAIL = 320
MAX_SEGMENTS = 100  # schemas.MAX_SEGMENTS: segments named in one profile
_BOM = "\ufeff"
_CACHE_LIMIT = 10_000  # distinct segment lists remembered (a client has few segments, so few lists)


ProfileRow = tuple[int, str, str | None, float | None, float | None, tuple[int, ...], str | None]
"""(line, user, email, latitude, longitude, segment ids sorted and distinct, the location as written):
a plain tuple, made a million times a file (a dataclass costs several times more). The location as
written is `latitude<TAB>longitude`, as PostgreSQL's COPY reads them into the very same numbers (both
round a decimal to the nearest double), when both are plain ASCII, else None: formatting a float
costs more than parsing one."""


class ProfileCsv:
    """Reads a profiles CSV against the client's segments (`{name: id}`)."""

    def __init__(self, segments: Mapping[str, int]) -> None:
        self.segments = dict(segments)
        self._lists: dict[str, tuple[int, ...] | str] = {}  # segments field → ids, or why not

    def rows(self, reader: BinaryIO) -> Iterator[ProfileRow | LineError]:
        """Rows and row errors in file order. Raises FileUnusable for a file that is empty or does
        not start with the header."""
        number = 0
        header_seen = False
        for lines in line_blocks(reader, MAX_LINE_BYTES):
            for text in _decoded(lines):
                number += 1
                if not header_seen:
                    _check_header(text, number)
                    header_seen = True
                    continue
                if not isinstance(text, str):
                    yield LineError(number, text.message)
                    continue
                if not text:
                    continue
                yield self._row(number, text)
        if not header_seen:
            raise FileUnusable(f"the file is empty: the first line must be the header {HEADER_TEXT}")

    def _row(self, line: int, text: str) -> ProfileRow | LineError:
        if '"' in text:
            try:
                fields = next(csv.reader((text,), strict=True))
            except csv.Error as error:
                return LineError(line, f"malformed quoting: {error}")
        else:
            fields = text.split(",")
        if len(fields) != 5:
            return LineError(line, f"expected 5 fields ({HEADER_TEXT}), found {len(fields)}")
        user, email, latitude_text, longitude_text, segments_text = fields
        if not user or len(user) > MAX_USER:
            return LineError(line, f"user must be 1 to {MAX_USER} characters")
        email = email.strip()
        if email and (len(email) > MAX_EMAIL or not _is_email(email)):
            return LineError(line, f"email {_shown(email)} is not an email address")
        try:  # the usual row: two numbers (float() skips spaces around them itself)
            latitude: float | None = float(latitude_text)
            longitude: float | None = float(longitude_text)
        except ValueError:
            latitude = longitude = None
        if latitude is None or longitude is None or not _in_range(latitude, longitude, latitude_text + longitude_text):
            problem = _location_problem(latitude_text.strip(), longitude_text.strip())
            if problem is not None:
                return LineError(line, problem)
            latitude = longitude = None
        ids = self._lists.get(segments_text)
        if ids is None:
            ids = self._segment_ids(segments_text)
        if type(ids) is str:
            return LineError(line, ids)
        written = None
        if latitude is not None:
            written = f"{latitude_text.strip()}\t{longitude_text.strip()}"
            if not written.isascii():
                written = None
        return (line, user, email or None, latitude, longitude, ids, written)  # type: ignore[return-value]

    def _segment_ids(self, text: str) -> tuple[int, ...] | str:
        names = {name for raw in text.split(";") if (name := raw.strip())}
        unknown = sorted(name for name in names if name not in self.segments)
        found: tuple[int, ...] | str
        if unknown:
            shown = ", ".join(_shown(name) for name in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
            found = f"no such segment: {shown} (segments are created through /promotions/segments)"
        elif len(names) > MAX_SEGMENTS:
            found = f"more than {MAX_SEGMENTS} segments"
        else:
            found = tuple(sorted({self.segments[name] for name in names}))
        if len(self._lists) >= _CACHE_LIMIT:
            self._lists.clear()
        self._lists[text] = found
        return found


def _decoded(lines: list[bytes]) -> list["str | LineError"]:
    """A block's lines as text. The usual block decodes in one call; a block holding an over-long
    line (quintet_shared.bounded marks it with a newline), NUL or bytes that are not UTF-8 is
    decoded line by line, and each bad line becomes its error (line 0 here: the caller numbers it)."""
    try:
        text = b"\n".join(lines).decode()
    except UnicodeDecodeError:
        pass
    else:
        texts = text.split("\n")
        if len(texts) == len(lines) and "\x00" not in text:
            return texts  # type: ignore[return-value]
    return [_decoded_line(line) for line in lines]


def _decoded_line(line: bytes) -> "str | LineError":
    if line.startswith(b"\n"):
        return LineError(0, too_long_message(MAX_LINE_BYTES))
    try:
        text = line.decode()
    except UnicodeDecodeError as error:
        return LineError(0, f"not UTF-8 text (byte {error.start + 1} of the line)")
    if "\x00" in text:
        return LineError(0, "NUL characters are not accepted")
    return text


def _check_header(text: "str | LineError", number: int) -> None:
    if not isinstance(text, str):
        raise FileUnusable(f"line {number} must be the header {HEADER_TEXT}: {text.message}", line=number)
    names = tuple(name.strip().lower() for name in text.removeprefix(_BOM).split(","))
    if names != HEADER:
        if not text.strip():
            raise FileUnusable(f"line {number} is empty: it must be the header {HEADER_TEXT}", line=number)
        raise FileUnusable(f"line {number} must be the header {HEADER_TEXT}, found {_shown(text)}", line=number)


def _is_email(email: str) -> bool:
    """schemas.Email's pattern, `[^@\\s]+@[^@\\s]+`, without a regular expression (a third of the
    parse time): one @ with something on both sides, no white space (nor other unprintables)."""
    return email.count("@") == 1 and email[0] != "@" and email[-1] != "@" and email.isprintable() and " " not in email


def _in_range(latitude: float, longitude: float, texts: str) -> bool:
    """float() also takes `nan`, `inf` and `1_0`: none is a coordinate (nan fails the comparisons)."""
    return -90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0 and "_" not in texts


def _location_problem(latitude: str, longitude: str) -> str | None:
    """Why the coordinates are not a location, or None when both are empty (no location)."""
    if not (latitude or longitude):
        return None
    if not (latitude and longitude):
        missing = "longitude" if latitude else "latitude"
        return f"{missing} is missing: latitude and longitude come both or neither"
    for name, text, bound in (("latitude", latitude, 90.0), ("longitude", longitude, 180.0)):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not -bound <= value <= bound or "_" in text:
            return f"{name} {_shown(text)} is not a number from {-bound:g} to {bound:g}"
    return f"{_shown(latitude)}, {_shown(longitude)} is not a location"  # not reached: the caller saw a problem


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")
