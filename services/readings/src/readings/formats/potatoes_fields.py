"""The fields of a potatoes file, checked one by one.

- identifier: a string of 1 to 64 characters (surrounding spaces dropped). A whole JSON number is
  taken as its digits: JSON numbers cannot have leading zeros, so nothing is lost (the original
  turned string identifiers into numbers and lost theirs). Fractions, negatives, booleans, null,
  objects and arrays are refused.
- read_at: an RFC 3339 date-time with its UTC offset (`Z` or `+09:00`), converted to UTC. A time
  without an offset is an error: which zone it meant cannot be known. So is one within a year of
  an end of the calendar (quintet_shared.instants): `0001-01-01T00:00:00+09:00` has no UTC
  date-time at all, and the consumption periods around such a reading could not be computed.
- value: a JSON number that fits Numeric(16, 4), kept as its exact decimal text (values.py).
"""

from datetime import UTC, datetime

from quintet_shared.instants import SAFE_EARLIEST, SAFE_LATEST, outside_safe_range

MAX_IDENTIFIER = 64
MAX_CACHED_TIMES = 4096  # readings of many supply points share their times; the cap bounds memory
EXAMPLE = "e.g. 2023-11-02T00:00:00Z"
IN_RANGE = f"a reading must lie between {SAFE_EARLIEST.date()} and {SAFE_LATEST.date()} (UTC)"


def identifier_of(value: object) -> tuple[str, None] | tuple[None, str]:
    """(identifier, None) or (None, why it is refused)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, "empty identifier"
        if len(text) > MAX_IDENTIFIER:
            return None, f"identifier is longer than {MAX_IDENTIFIER} characters"
        return text, None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return identifier_of(str(value))
    return None, "identifier must be a string (or a whole, non-negative JSON number)"


class Instants:
    """RFC 3339 texts → UTC datetimes, remembering recent ones (the same times recur in a file)."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime | str] = {}

    def known(self, value: object) -> datetime | None:
        """The instant of a valid text seen before, else None (then call `parse`)."""
        found = self._seen.get(value) if isinstance(value, str) else None
        if found is None:
            found = self.parse(value)
        return found if type(found) is datetime else None

    def parse(self, value: object) -> datetime | str:
        """The UTC instant, or a reason why `value` is not one."""
        if not isinstance(value, str):
            return f"read_at must be an RFC 3339 date-time string with an offset ({EXAMPLE})"
        found = self._seen.get(value)
        if found is None:
            if len(self._seen) >= MAX_CACHED_TIMES:
                self._seen.clear()
            found = self._seen[value] = _instant(value)
        return found


def _instant(text: str) -> datetime | str:
    shown = text[:40]
    # fromisoformat alone would also take dates without times and the compact ISO 8601 forms.
    if (
        len(text) < 20
        or text[4] != "-"
        or text[7] != "-"
        or text[10] not in "Tt "
        or text[13] != ":"
        or (text[-1] not in "Zz" and text[-3] != ":")
    ):
        return f"read_at {shown!r} is not an RFC 3339 date-time ({EXAMPLE})"
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        return f"read_at {shown!r} is not a valid date-time ({EXAMPLE})"
    if moment.tzinfo is None:
        return f"read_at {shown!r} has no UTC offset, so its instant is unknown ({EXAMPLE})"
    if outside_safe_range(moment):  # checked before the conversion, which could overflow
        return f"read_at {shown!r} is out of range: {IN_RANGE}"
    return moment.astimezone(UTC)
