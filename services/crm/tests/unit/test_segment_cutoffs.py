"""The inactive segment's cutoff: the start of the restaurant's local day N days ago, across time
zones and DST changes."""

from datetime import UTC, datetime

import pytest

from crm.segments import inactive_cutoffs, local_midnight_days_ago


@pytest.mark.parametrize(
    ("zone", "now", "days", "expected"),
    [
        ("UTC", datetime(2026, 3, 2, 10, 0, tzinfo=UTC), 30, datetime(2026, 1, 31, 0, 0, tzinfo=UTC)),
        # Madrid at 11:00 on 2 March (UTC+1): 1 March began at 23:00 UTC the day before.
        ("Europe/Madrid", datetime(2026, 3, 2, 10, 0, tzinfo=UTC), 1, datetime(2026, 2, 28, 23, 0, tzinfo=UTC)),
        # Auckland is already on 3 March at 12:00 UTC (UTC+13): 2 March began at 11:00 UTC on 1 March.
        ("Pacific/Auckland", datetime(2026, 3, 2, 12, 0, tzinfo=UTC), 1, datetime(2026, 3, 1, 11, 0, tzinfo=UTC)),
        # Across Madrid's spring change (29 March 2026): today is on summer time, the day 3 days ago not.
        ("Europe/Madrid", datetime(2026, 3, 30, 10, 0, tzinfo=UTC), 3, datetime(2026, 3, 26, 23, 0, tzinfo=UTC)),
        ("Europe/Madrid", datetime(2026, 3, 30, 10, 0, tzinfo=UTC), 0, datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),
        # Los Angeles at 02:00 UTC on 2 March is still 1 March (UTC-8).
        ("America/Los_Angeles", datetime(2026, 3, 2, 2, 0, tzinfo=UTC), 0, datetime(2026, 3, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_the_cutoff_is_local_midnight_n_days_ago(zone: str, now: datetime, days: int, expected: datetime) -> None:
    assert local_midnight_days_ago(zone, days=days, now=now) == expected


def test_one_cutoff_per_distinct_zone() -> None:
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    cutoffs = inactive_cutoffs(["UTC", "Europe/Madrid", "UTC"], days=1, now=now)
    assert cutoffs == {
        "UTC": datetime(2026, 3, 1, tzinfo=UTC),
        "Europe/Madrid": datetime(2026, 2, 28, 23, 0, tzinfo=UTC),
    }
