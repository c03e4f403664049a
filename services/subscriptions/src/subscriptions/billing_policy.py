"""The rules of billing timing, as plain functions (no I/O): keys, retry waits, leases, lapsed periods.

See models.py's docstring for the design these serve.
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from subscriptions.config import Settings

LEASE_MARGIN = timedelta(seconds=60)


def idempotency_key(subscription_id: int, period: int, billing_date: date, attempt: int) -> str:
    """One charge: the subscription, its period, the billing date and the attempt (models.py)."""
    return f"sub-{subscription_id}-p{period}-{billing_date.isoformat()}-a{attempt}"


def period_end(billing_date: date, days: int, timezone: str) -> datetime:
    """The instant the period starting on local `billing_date` ends: local midnight `days` later."""
    return datetime.combine(billing_date + timedelta(days=days), time(0), tzinfo=ZoneInfo(timezone))


def retry_wait(
    waits: Sequence[float], *, failures: int, max_attempts: int, now: datetime, ends_at: datetime
) -> timedelta:
    """The wait after the `failures`-th declined charge of a billing date: the settings' schedule (its
    last wait repeats), shortened so that the attempts left all fall before the period ends (a daily
    plan's retries fit inside its day). A period already over (a late catch-up run) keeps the schedule."""
    wait = timedelta(seconds=waits[min(failures, len(waits)) - 1])
    left = max(1, max_attempts - failures)
    if ends_at > now:
        # Each wait at most 1/(left + 1) of the time left: the last attempt still comes before the end.
        wait = min(wait, (ends_at - now) / (left + 1))
    return wait


def charge_lease(settings: Settings) -> timedelta:
    """How long a recorded attempt is left to the worker calling for it before another may send its
    key again: longer than every try of one call with its backoff."""
    tries = settings.billing_transport_attempts
    return timedelta(seconds=settings.billing_timeout_seconds * tries + 5.0 * (tries - 1)) + LEASE_MARGIN


def renewal_on(billing_date: date, days: int, day: date) -> date:
    """The renewal date of the period `day` falls in, counting periods of `days` from `billing_date`
    (a period that ended unpaid, say after downtime, is not charged afterwards: its SMS never went)."""
    if day <= billing_date:
        return billing_date
    return billing_date + timedelta(days=((day - billing_date).days // days) * days)
