"""The customers CSV, read as a stream: `restaurant,email,first_name,last_name`, one customer a line.

- The first line is the header, exactly those four names in that order (case and spaces around them
  do not matter, nor a UTF-8 byte order mark); without it the file is refused as a whole.
- One record per line, UTF-8, LF or CRLF. Fields may be quoted as in RFC 4180 (`"Diaz, Ana"`), but a
  quoted field cannot span lines. Empty lines are skipped.
- `restaurant`: the id of one of the client's restaurants.
- `email`: an address (one `@`, something on both sides, no spaces); compared without regard to
  case, stored lower-cased.
- `first_name`, `last_name`: optional, at most 100 characters each; spaces around them are dropped.

A bad row is a `LineError` naming its line and why; the file goes on. A line longer than
MAX_LINE_BYTES is reported and skipped without being held in memory (quintet_shared.bounded).
"""

import csv
from collections.abc import Container, Iterator
from typing import BinaryIO, NamedTuple

from quintet_shared.bounded import MAX_LINE_BYTES, line_blocks, too_long_message
from quintet_shared.bulk import FileUnusable, LineError

HEADER = ("restaurant", "email", "first_name", "last_name")
HEADER_TEXT = ",".join(HEADER)
MAX_EMAIL = 320  # models.Customer.email
MAX_NAME = 100  # models.Customer.first_name, last_name
_BOM = "\ufeff"


class CustomerRow(NamedTuple):
    line: int
    restaurant: int
    email: str
    first_name: str
    last_name: str


def customer_rows(reader: BinaryIO, restaurants: Container[int]) -> Iterator[CustomerRow | LineError]:
    """Rows and row errors in file order, against the client's restaurant ids. Raises FileUnusable
    for a file that is empty or does not start with the header."""
    number = 0
    header_seen = False
    for lines in line_blocks(reader, MAX_LINE_BYTES):
        for raw in lines:
            number += 1
            text = _decoded(raw)
            if not header_seen:
                _check_header(text, number)
                header_seen = True
                continue
            if isinstance(text, LineError):
                yield LineError(number, text.message)
            elif text.strip():
                yield _row(number, text, restaurants)
    if not header_seen:
        raise FileUnusable(f"the file is empty: the first line must be the header {HEADER_TEXT}")


def _row(line: int, text: str, restaurants: Container[int]) -> CustomerRow | LineError:
    try:
        fields = next(csv.reader((text,), strict=True))
    except csv.Error as error:
        return LineError(line, f"malformed quoting: {error}")
    if len(fields) != len(HEADER):
        return LineError(line, f"expected {len(HEADER)} fields ({HEADER_TEXT}), found {len(fields)}")
    restaurant_text, email, first_name, last_name = (field.strip() for field in fields)
    if not (restaurant_text.isascii() and restaurant_text.isdigit() and len(restaurant_text) <= 10):
        return LineError(line, f"restaurant {_shown(restaurant_text)} is not a restaurant id")
    restaurant = int(restaurant_text)
    if restaurant not in restaurants:
        return LineError(line, f"restaurant {restaurant} is not one of your restaurants")
    if len(email) > MAX_EMAIL or not is_email(email):
        return LineError(line, f"email {_shown(email)} is not an email address")
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if len(value) > MAX_NAME:
            return LineError(line, f"{name} is longer than {MAX_NAME} characters")
    return CustomerRow(line, restaurant, email.lower(), first_name, last_name)


def _decoded(line: bytes) -> str | LineError:
    if line.startswith(b"\n"):  # quintet_shared.bounded marks an over-long line so
        return LineError(0, too_long_message(MAX_LINE_BYTES))
    try:
        text = line.decode()
    except UnicodeDecodeError as error:
        return LineError(0, f"not UTF-8 text (byte {error.start + 1} of the line)")
    if "\x00" in text:
        return LineError(0, "NUL characters are not accepted")
    return text.removesuffix("\r")


def _check_header(text: str | LineError, number: int) -> None:
    if isinstance(text, LineError):
        raise FileUnusable(f"line {number} must be the header {HEADER_TEXT}: {text.message}", line=number)
    names = tuple(name.strip().lower() for name in text.removeprefix(_BOM).split(","))
    if names != HEADER:
        raise FileUnusable(f"line {number} must be the header {HEADER_TEXT}, found {_shown(text)}", line=number)


def is_email(email: str) -> bool:
    """schemas.Email's rule: one @ with something on both sides, no white space nor unprintables."""
    return (
        len(email) >= 3
        and email.count("@") == 1
        and email[0] != "@"
        and email[-1] != "@"
        and email.isprintable()
        and " " not in email
    )


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")
