"""Recording a local date's SMS (the first half of the daily run; the design is in models.py).

`record_day` inserts one `queued` message for every subscription whose current period covers the
date (`status = 'active' AND paid_until >= day`) and that is linked to a forecast point (a subscriber
without one yet has no forecast to send: counted, not recorded). Each row gets its msgid (random,
lower-case hex) and its text before anything is sent, so the send can be resumed from the table
alone. `UNIQUE (subscription_id, day)` with ON CONFLICT DO NOTHING makes "once a day" hold under a
run repeated or two at once: a second run of the date records nothing.

The text is the client's template (or `fcat24: {fcat24}, fcat48: {fcat48}`) filled with the point's
forecast, rendered once per point, and cut to the column's 480 characters.
"""

from dataclasses import dataclass
from datetime import date, datetime
from uuid import uuid4

from sqlalchemy import func, select
from sqlmodel import Session

from quintet_shared.upsert import insert_for
from subscriptions.client_settings import DEFAULT_TEMPLATE, get_settings
from subscriptions.models import ForecastPoint, SmsMessage, SmsStatus, Subscription, SubscriptionStatus

CHUNK = 2_000  # subscriptions read and rows inserted per statement (9 parameters a row, bounded)
MAX_TEXT = 480  # sms_message.text


@dataclass(frozen=True)
class DayRecord:
    day: date
    recorded: int  # messages this run added
    already: int  # paid subscribers that had their message of the day already
    without_forecast: int  # paid subscribers not linked to a forecast point yet: no message


def paid_on(client: str, day: date) -> list[object]:
    """The subscriptions whose current period covers the local date `day`."""
    return [
        Subscription.client == client,
        Subscription.status == SubscriptionStatus.ACTIVE.value,
        Subscription.paid_until >= day,  # type: ignore[operator]
    ]


def record_day(session: Session, *, client: str, day: date, now: datetime) -> DayRecord:
    """Record the date's message of every paid, linked subscription that has none yet. Does not commit."""
    template = get_settings(session, client=client, now=now).sms_template or DEFAULT_TEMPLATE
    texts: dict[int, str] = {}
    recorded = candidates = 0
    after = 0
    while True:
        rows = session.execute(
            select(Subscription.id, ForecastPoint.id, ForecastPoint.fcat24, ForecastPoint.fcat48)
            .join(ForecastPoint, ForecastPoint.id == Subscription.forecast_id)  # type: ignore[arg-type]
            .where(*paid_on(client, day), Subscription.id > after)  # type: ignore[arg-type, operator]
            .order_by(Subscription.id)  # type: ignore[arg-type]
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        after = rows[-1][0]
        candidates += len(rows)
        values = []
        for subscription_id, point_id, fcat24, fcat48 in rows:
            if point_id not in texts:
                texts[point_id] = template.format(fcat24=fcat24, fcat48=fcat48)[:MAX_TEXT]
            values.append(_queued(client, subscription_id, day, texts[point_id], now))
        statement = insert_for(session, SmsMessage.__table__).values(values).on_conflict_do_nothing()
        # SQLAlchemy reads an INSERT's row count only when asked to keep it (else -1 on PostgreSQL).
        recorded += max(session.execute(statement.execution_options(preserve_rowcount=True)).rowcount, 0)
    unlinked = session.execute(
        select(func.count()).where(*paid_on(client, day), Subscription.forecast_id.is_(None))  # type: ignore[arg-type, union-attr]
    ).scalar_one()
    return DayRecord(day=day, recorded=recorded, already=candidates - recorded, without_forecast=unlinked)


def _queued(client: str, subscription_id: int, day: date, text: str, now: datetime) -> dict[str, object]:
    return {
        "client": client,
        "subscription_id": subscription_id,
        "msgid": uuid4().hex,
        "day": day,
        "status": SmsStatus.QUEUED.value,
        "text": text,
        "attempts": 0,
        "queued_at": now,
        "next_attempt_at": now,  # due at once: the run sends it
    }
