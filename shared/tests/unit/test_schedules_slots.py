from datetime import UTC, datetime, timedelta, timezone

import pytest

from quintet_shared.schedules import EPOCH, Periodic, slot_at

HOUR = timedelta(hours=1)


def test_a_moment_inside_a_slot_maps_to_the_slot_start() -> None:
    assert slot_at(datetime(2026, 3, 1, 10, 59, 59, 999999, tzinfo=UTC), HOUR) == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_a_slot_boundary_belongs_to_the_slot_it_starts() -> None:
    assert slot_at(datetime(2026, 3, 1, 11, tzinfo=UTC), HOUR) == datetime(2026, 3, 1, 11, tzinfo=UTC)


def test_daily_slots_start_at_midnight_utc_whatever_the_zone_of_the_moment() -> None:
    paris_morning = datetime(2026, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=1)))  # 23:30 UTC on March 1
    assert slot_at(paris_morning, timedelta(days=1)) == datetime(2026, 3, 1, tzinfo=UTC)


def test_slots_are_counted_from_the_epoch_not_from_the_hour() -> None:
    # 7-minute slots do not divide an hour: they follow the epoch grid, so two replicas agree.
    every = timedelta(minutes=7)
    moment = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    slot = slot_at(moment, every)
    assert (slot - EPOCH) % every == timedelta(0)
    assert slot <= moment < slot + every
    assert slot != datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_consecutive_slots_are_one_period_apart() -> None:
    every = timedelta(minutes=15)
    moment = datetime(2026, 3, 1, 10, 7, tzinfo=UTC)
    assert slot_at(moment + every, every) - slot_at(moment, every) == every


def test_sub_second_periods_are_exact() -> None:
    every = timedelta(milliseconds=250)
    assert slot_at(datetime(2026, 3, 1, 10, 0, 0, 600000, tzinfo=UTC), every) == datetime(
        2026, 3, 1, 10, 0, 0, 500000, tzinfo=UTC
    )


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        slot_at(datetime(2026, 3, 1, 10), HOUR)


@pytest.mark.parametrize("every", [timedelta(0), timedelta(seconds=-5)])
def test_a_period_must_be_positive(every: timedelta) -> None:
    with pytest.raises(ValueError):
        slot_at(datetime(2026, 3, 1, tzinfo=UTC), every)
    with pytest.raises(ValueError):
        Periodic("broken", every, lambda _session, _slot: None)
