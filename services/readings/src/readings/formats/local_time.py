"""A client's local days and wall times, turned into UTC instants once per day.

Daylight saving: a carrots time code n is the n-th half hour *elapsed* since the local midnight
instant (the way half-hourly settlement periods are counted), so every code is a distinct,
contiguous 30-minute interval even on a change day. A day that springs forward has 46 half hours
(codes 47 and 48 are errors: they would overlap the next day); a day that falls back has 50, of
which the format can only name the first 48. A register time is a wall-clock time: one that does not
exist (inside a spring-forward gap) is an error, and one that happens twice (after falling back)
is taken at its first occurrence.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from quintet_shared.instants import SAFE_EARLIEST, SAFE_LATEST

HALF_HOUR = timedelta(minutes=30)
ONE_DAY = timedelta(days=1)
CODES_PER_DAY = 48
IN_RANGE = f"a reading must lie between {SAFE_EARLIEST.date()} and {SAFE_LATEST.date()} (UTC)"
MAX_CACHED_DAYS = 100_000  # a file spans a few hundred days; the bound only caps a hostile file


@dataclass(frozen=True, slots=True)
class LocalDay:
    label: str  # YYYY-MM-DD, for messages
    midnight: datetime  # UTC instant of the local midnight that starts the day
    half_hours: int  # 48, or 46 / 50 on a daylight-saving change day
    regular: bool  # no change that day: a wall time is midnight + its clock reading
    starts: tuple[datetime, ...]  # starts[n - 1]: when time code n starts (n up to 48 and half_hours)


class LocalCalendar:
    """Local dates (b"YYYYMMDD") and wall times (b"YYYYMMDDHHMMSS") of one zone, cached per date."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.days: dict[bytes, LocalDay | str] = {}  # read directly on the hot path

    def day(self, text: bytes) -> LocalDay | str:
        """The day, or a reason why `text` is not one."""
        found = self.days.get(text)
        if found is None:
            if len(self.days) >= MAX_CACHED_DAYS:
                self.days.clear()
            found = self.days[text] = self._load(text)
        return found

    def _load(self, text: bytes) -> LocalDay | str:
        shown = text.decode("utf-8", "replace")
        if len(text) != 8 or not text.isdigit():
            return f"bad date {shown!r}: expected YYYYMMDD"
        try:
            local = date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return f"bad date {shown!r}: no such day"
        # Checked on the local date, before any conversion: near the ends of the calendar the UTC
        # midnight may not exist, and consumption periods around the day could not be computed.
        if not SAFE_EARLIEST.date() < local < SAFE_LATEST.date():
            return f"bad date {shown!r}: out of range, {IN_RANGE}"
        start = self._midnight(local)
        length = self._midnight(local + ONE_DAY) - start
        half_hours = length // HALF_HOUR
        starts = tuple(start + HALF_HOUR * n for n in range(min(half_hours, CODES_PER_DAY)))
        return LocalDay(local.isoformat(), start, half_hours, length == ONE_DAY, starts)

    def _midnight(self, local: date) -> datetime:
        return datetime(local.year, local.month, local.day, tzinfo=self.zone).astimezone(UTC)

    def wall_time(self, text: bytes) -> datetime | str:
        """The UTC instant of a local wall time, or a reason why there is none."""
        day = self.day(text[:8])
        if isinstance(day, str):
            return f"bad time {text.decode('utf-8', 'replace')!r}: {day}"
        clock = text[8:]
        if len(text) != 14 or not clock.isdigit():
            return f"bad time {text.decode('utf-8', 'replace')!r}: expected YYYYMMDDHHMMSS"
        hour, minute, second = int(clock[:2]), int(clock[2:4]), int(clock[4:])
        if hour > 23 or minute > 59 or second > 59:
            return f"bad time {text.decode()!r}: no such time of day"
        if day.regular:
            return day.midnight + timedelta(hours=hour, minutes=minute, seconds=second)
        naive = datetime.fromisoformat(day.label).replace(hour=hour, minute=minute, second=second)
        instant = naive.replace(tzinfo=self.zone).astimezone(UTC)
        if instant.astimezone(self.zone).replace(tzinfo=None) != naive:
            return f"time {naive.isoformat()} does not exist in {self.zone.key} (daylight-saving gap)"
        return instant
