"""Each gateway's figures for a client (GET /subscriptions/sms/gateways): messages it accepted,
delivered, failed, expired or awaiting a receipt, and the median time from acceptance to delivery.
The configured gateways are listed even with nothing sent; a gateway no longer configured is listed
while it has messages. The median is PostgreSQL's `percentile_cont`; SQLite (embedded mode, small
volumes) has none, so its delivery times are read and the median taken here."""

import statistics
from collections.abc import Sequence
from datetime import date

from sqlalchemy import extract, func, select
from sqlmodel import Session

from subscriptions.models import SmsMessage, SmsStatus
from subscriptions.schemas_sms import GatewayStats

DELIVERED = SmsStatus.DELIVERED.value


def gateway_stats(session: Session, *, client: str, day: date | None, configured: Sequence[str]) -> list[GatewayStats]:
    scope = [SmsMessage.client == client, SmsMessage.gateway.is_not(None)]  # type: ignore[union-attr]
    if day is not None:
        scope.append(SmsMessage.day == day)
    counts: dict[str, dict[str, int]] = {name: {} for name in configured}
    rows = session.execute(
        select(SmsMessage.gateway, SmsMessage.status, SmsMessage.sent_at.is_not(None), func.count())  # type: ignore[union-attr]
        .where(*scope)
        .group_by(SmsMessage.gateway, SmsMessage.status, SmsMessage.sent_at.is_not(None))  # type: ignore[union-attr]
    ).all()
    for gateway, status, sent, count in rows:
        figures = counts.setdefault(gateway, {})
        figures[status] = figures.get(status, 0) + count
        if sent:
            figures["sent"] = figures.get("sent", 0) + count
    medians = _medians(session, scope)
    return [
        GatewayStats(
            gateway=gateway,
            sent=figures.get("sent", 0),
            delivered=figures.get(DELIVERED, 0),
            failed=figures.get(SmsStatus.FAILED.value, 0),
            expired=figures.get(SmsStatus.EXPIRED.value, 0),
            awaiting_receipt=figures.get(SmsStatus.ACCEPTED.value, 0),
            median_delivery_seconds=medians.get(gateway),
        )
        for gateway, figures in counts.items()
    ]


def _medians(session: Session, scope: list[object]) -> dict[str, float]:
    delivered = [*scope, SmsMessage.status == DELIVERED, SmsMessage.sent_at.is_not(None)]  # type: ignore[union-attr]
    if session.get_bind().dialect.name == "postgresql":
        seconds = extract("epoch", SmsMessage.delivered_at - SmsMessage.sent_at)  # type: ignore[operator]
        median = func.percentile_cont(0.5).within_group(seconds)
        rows = session.execute(select(SmsMessage.gateway, median).where(*delivered).group_by(SmsMessage.gateway)).all()
        return {gateway: round(float(value), 3) for gateway, value in rows}
    times: dict[str, list[float]] = {}
    query = select(SmsMessage.gateway, SmsMessage.sent_at, SmsMessage.delivered_at).where(*delivered)
    for gateway, sent_at, delivered_at in session.execute(query):
        times.setdefault(gateway, []).append((delivered_at - sent_at).total_seconds())
    return {gateway: round(statistics.median(values), 3) for gateway, values in times.items()}
