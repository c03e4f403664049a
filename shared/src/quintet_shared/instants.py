"""Date-times from outside (query parameters, bodies, file fields), validated into range.

Python's datetime stops at 0001-01-01 and 9999-12-31: `0001-01-01T00:00:00+09:00` is a valid RFC
3339 text whose UTC date-time does not exist, so the first `astimezone(UTC)` (a comparison, a
database bind, a response) raised OverflowError, a 500. `Instant` turns the text into UTC while it
is validated, so a value out of range is a 422 that names its field, and what reaches a use case is
always a UTC datetime that converts without surprise.

Arithmetic needs room beyond that: a day or a month added, a local calendar of any zone (offsets up
to ±14 h, and more in old history). `SAFE_EARLIEST` and `SAFE_LATEST` keep a year inside each end;
a use case that computes with user-given instants checks them with `require_within` (422), and a
stored instant (a reading from a file) should lie between them too (`outside_safe_range`).
"""

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from quintet_shared.errors import Problem

SAFE_EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
SAFE_LATEST = datetime(9998, 12, 1, tzinfo=UTC)
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")
OUT_OF_RANGE = "is out of range: its UTC time falls before 0001-01-01T00:00:00Z or after 9999-12-31T23:59:59Z"


def _rfc3339_text(value: object) -> object:
    # Pydantic alone would also take Unix seconds, dates and naive times; an instant must be explicit.
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(
            "expected an RFC 3339 date-time with an offset, e.g. 2023-11-02T00:00:00Z or "
            "2023-11-02T09:00:00%2B09:00 (a '+' in a query string must be sent as %2B)"
        )
    return value


def to_utc(value: datetime) -> datetime:
    """`value` in UTC; ValueError (never OverflowError) when that date-time does not exist."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None


Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text), AfterValidator(to_utc)]
"""RFC 3339 text with Z or an offset, delivered in UTC; anything else is a 422 naming the field."""


def outside_safe_range(value: datetime) -> bool:
    """Whether an aware instant is too near an end of the calendar to compute with."""
    try:
        return not SAFE_EARLIEST <= value <= SAFE_LATEST
    except OverflowError:  # comparing aware times converts them to UTC
        return True


def require_within(value: datetime, *, field: str, location: str = "query") -> None:
    """422 naming `field` unless `value` lies between SAFE_EARLIEST and SAFE_LATEST."""
    if outside_safe_range(value):
        message = f"must lie between {SAFE_EARLIEST.isoformat()} and {SAFE_LATEST.isoformat()}"
        raise Problem(f"{field} {message}.", status=422, errors=[{"loc": [location, field], "msg": message}])
