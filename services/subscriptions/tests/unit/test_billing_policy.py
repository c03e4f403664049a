"""The timing rules of billing (billing_policy.py) and its settings, without I/O."""

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from subscriptions.billing_policy import charge_lease, idempotency_key, period_end, renewal_on, retry_wait
from subscriptions.config import Settings

WAITS = (300.0, 1800.0, 7200.0, 21600.0)
MORNING = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)


def test_the_key_names_the_subscription_period_date_and_attempt() -> None:
    assert idempotency_key(42, 3, date(2026, 3, 3), 2) == "sub-42-p3-2026-03-03-a2"


def test_a_period_ends_at_local_midnight_after_its_days() -> None:
    assert period_end(date(2026, 3, 3), 1, "Africa/Nairobi") == datetime(2026, 3, 3, 21, 0, tzinfo=UTC)
    assert period_end(date(2026, 3, 3), 7, "UTC") == datetime(2026, 3, 10, tzinfo=UTC)


def test_the_schedule_is_followed_while_it_fits_and_its_last_wait_repeats() -> None:
    week_end = MORNING + timedelta(days=7)
    waits = [retry_wait(WAITS, failures=n, max_attempts=8, now=MORNING, ends_at=week_end) for n in range(1, 7)]
    assert waits == [timedelta(seconds=s) for s in (300, 1800, 7200, 21600, 21600, 21600)]


@pytest.mark.parametrize("hours_left", [24, 4, 1, 0.1])
def test_every_attempt_left_fits_before_the_period_ends(hours_left: float) -> None:
    ends_at = MORNING + timedelta(hours=hours_left)
    now = MORNING
    for failures in range(1, 5):  # five attempts: four waits
        now += retry_wait(WAITS, failures=failures, max_attempts=5, now=now, ends_at=ends_at)
        assert now < ends_at
    assert retry_wait(WAITS, failures=1, max_attempts=5, now=MORNING, ends_at=ends_at) <= timedelta(minutes=5)


def test_a_period_already_over_keeps_the_schedule() -> None:
    late = MORNING + timedelta(days=2)
    assert retry_wait(WAITS, failures=2, max_attempts=5, now=late, ends_at=MORNING) == timedelta(minutes=30)


def test_renewal_on_counts_whole_periods_from_the_billing_date() -> None:
    assert renewal_on(date(2026, 3, 3), 1, date(2026, 3, 7)) == date(2026, 3, 7)
    assert renewal_on(date(2026, 3, 3), 7, date(2026, 3, 16)) == date(2026, 3, 10)
    assert renewal_on(date(2026, 3, 3), 7, date(2026, 3, 17)) == date(2026, 3, 17)
    assert renewal_on(date(2026, 3, 3), 7, date(2026, 3, 1)) == date(2026, 3, 3)


def test_the_lease_outlasts_every_try_of_a_call() -> None:
    settings = Settings(billing_timeout_seconds=10, billing_transport_attempts=3)
    assert charge_lease(settings) > timedelta(seconds=10 * 3 + 5 * 2)


def test_the_retry_schedule_is_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBSCRIPTIONS_BILLING_RETRY_SECONDS", " 60, 600,3600 ")
    assert Settings().billing_retry_seconds == (60.0, 600.0, 3600.0)
    for bad in ("", "60,-1", "60,soon"):
        monkeypatch.setenv("SUBSCRIPTIONS_BILLING_RETRY_SECONDS", bad)
        with pytest.raises(ValidationError, match="billing_retry_seconds"):
            Settings()


def test_prod_refuses_the_public_billing_key() -> None:
    with pytest.raises(ValidationError, match="billing_auth_key"):
        Settings(quintet_env="prod", gateway_secret="a-real-secret")
    Settings(quintet_env="prod", gateway_secret="a-real-secret", billing_auth_key="a-real-key")
