"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL, and the
unique indexes the design relies on hold: one msisdn per client, one SMS per subscription and day,
one charge per idempotency key."""

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from subscriptions.models import (
    BillingAttempt,
    ForecastPoint,
    Plan,
    SmsMessage,
    Subscription,
    SubscriptionStatus,
    metadata,
)

from .conftest import NOW


def test_the_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ours = MigrationContext.configure(conn, opts={"include_name": _ours})
        differences = compare_metadata(ours, metadata)
    assert differences == []


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    """The service's own tables (the kit's are the kit's to check)."""
    return type_ != "table" or name in metadata.tables


def _subscription(msisdn: str = "77011234567", client: str = "iska") -> Subscription:
    return Subscription(
        client=client, msisdn=msisdn, plan=Plan.DAILY, latitude=0, longitude=0,
        subscribed_at=NOW, created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def test_an_msisdn_is_one_subscription_per_client(engine: Engine) -> None:
    with Session(engine) as session:
        session.add_all([_subscription(), _subscription(client="other")])
        session.commit()
        session.add(_subscription())
        with pytest.raises(IntegrityError):
            session.commit()


def test_one_sms_a_day_and_one_charge_a_key(engine: Engine) -> None:
    with Session(engine) as session:
        subscription = _subscription()
        session.add(subscription)
        session.flush()
        sid = subscription.id
        assert sid is not None and subscription.status == SubscriptionStatus.UNPAID

        def sms(msgid: str, day: date) -> SmsMessage:
            return SmsMessage(client="iska", subscription_id=sid, msgid=msgid, day=day, text="t", queued_at=NOW)

        session.add_all([sms("a1", date(2026, 3, 2)), sms("a2", date(2026, 3, 3))])
        session.commit()
        session.add(sms("a3", date(2026, 3, 2)))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()

        def charge(attempt: int, key: str) -> BillingAttempt:
            return BillingAttempt(
                client="iska", subscription_id=sid, period=1, billing_date=date(2026, 3, 2),
                attempt=attempt, plan=Plan.DAILY, idempotency_key=key, at=NOW,
            )  # fmt: skip

        session.add(charge(1, "sub-1-p1-2026-03-02-a1"))
        session.commit()
        session.add(charge(2, "sub-1-p1-2026-03-02-a1"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_gid_keeps_its_leading_zeros(engine: Engine) -> None:
    with Session(engine) as session:
        for gid in ("007", "7"):
            session.add(ForecastPoint(client="iska", gid=gid, latitude=1, longitude=2, created_at=NOW, updated_at=NOW))
        session.commit()
        assert sorted(p.gid for p in session.exec(select(ForecastPoint)).all()) == ["007", "7"]


def test_plans_by_name_or_code() -> None:
    assert Plan.parse("11") is Plan.DAILY and Plan.parse(" Weekly ") is Plan.WEEKLY and Plan.parse("21").days == 7
    with pytest.raises(ValueError):
        Plan.parse("31")
