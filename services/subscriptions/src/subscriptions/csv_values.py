"""The values of a forecasts or subscribers CSV, checked one by one: each check answers the value in
the form the import stages it, or None when the value is bad (the caller words the row error).

Every check here is one the database would otherwise fail a whole statement on, so that a bad row is
a row error, never a failed import. They run a million times a file: plain string tests rather than
regular expressions, and caches for what repeats (the hour of a time, the plan).
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from subscriptions.models import Plan

MAX_GID = 64  # models.ForecastPoint.gid; schemas.GID_PATTERN
MAX_CATEGORY = 200  # fcat24, fcat48
FIRST_YEAR, LAST_YEAR = 1970, 9998  # far from datetime's ends, so that no offset overflows
_CACHE_LIMIT = 100_000
_PLANS = {name: plan for plan in Plan for name in (plan.value, plan.code)}


def msisdn(text: str) -> str | None:
    """8 to 15 ASCII digits with the country code (schemas.MSISDN_PATTERN); spaces around dropped."""
    text = text.strip()
    return text if 8 <= len(text) <= 15 and text.isdigit() and text.isascii() else None


def plan(text: str) -> Plan | None:
    """`daily` or `weekly`, or the original's codes `11` and `21` (Plan.parse)."""
    return _PLANS.get(text.strip().lower())


def gid(text: str) -> str | None:
    """As given (leading zeros kept), 1 to 64 characters, no control character nor `/`."""
    return text if 0 < len(text) <= MAX_GID and text.isprintable() and "/" not in text else None


def category(text: str) -> str | None:
    """A forecast text: at most 200 printable characters (empty is allowed)."""
    return text if len(text) <= MAX_CATEGORY and text.isprintable() else None


def coordinate(text: str, bound: float) -> float | None:
    """Decimal degrees within ±bound. float() also takes `nan`, `inf`, `1_0` and non-ASCII digits:
    none is a coordinate here (nor for PostgreSQL's COPY, which reads the text as written)."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not -bound <= value <= bound or "_" in text or not text.isascii():
        return None
    return value


class LocalTimes:
    """`YYYY-MM-DD HH:MM:SS` on the client's wall clock → the UTC instant, as the text
    `YYYY-MM-DD HH:MM:SS` (which sorts as time does), and the local date.

    The offset of each local hour is computed once (zoneinfo: daylight saving included; a time in a
    spring-forward gap is read with the offset before it); an hour whose offset is a whole number of
    hours, nearly all of them, turns into UTC by replacing its first 13 characters."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._hours: dict[str, str | timedelta | None] = {}

    def utc(self, text: str) -> str | None:
        """The UTC text of a local time, or None when it is not one."""
        if len(text) != 19 or text[13] != ":" or text[16] != ":":
            text = text.strip()
            if len(text) != 19 or text[13] != ":" or text[16] != ":":
                return None
        minutes, seconds = text[14:16], text[17:19]
        if not (minutes + seconds).isdigit() or not (minutes + seconds).isascii() or minutes > "59" or seconds > "59":
            return None
        hour = self._hours.get(text[:13], False)
        if hour is False:
            hour = self._hour(text[:13])
        if hour is None:
            return None
        if type(hour) is str:
            return hour + text[13:]
        local = datetime.fromisoformat(text)
        return (local - hour).isoformat(" ")  # type: ignore[operator]

    def _hour(self, key: str) -> str | timedelta | None:
        if len(self._hours) >= _CACHE_LIMIT:
            self._hours.clear()
        found: str | timedelta | None = None
        digits = key[:4] + key[5:7] + key[8:10] + key[11:13]
        if key[4] == "-" and key[7] == "-" and key[10] == " " and digits.isdigit() and digits.isascii():
            try:
                local = datetime(int(key[:4]), int(key[5:7]), int(key[8:10]), int(key[11:13]), tzinfo=self.zone)
            except ValueError:
                local = None
            if local is not None and FIRST_YEAR <= local.year <= LAST_YEAR:
                offset = local.utcoffset() or timedelta(0)
                whole_hours = offset.total_seconds() % 3600 == 0
                found = local.astimezone(UTC).strftime("%Y-%m-%d %H") if whole_hours else offset
        self._hours[key] = found
        return found
