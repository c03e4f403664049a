"""Reading the outreach ledger: a campaign's events, and the client's events by campaign or customer."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlmodel import Session

from crm.models import OutreachEvent, OutreachStatus


def list_events(
    session: Session,
    *,
    client: str,
    campaign_id: int | None = None,
    customer_id: int | None = None,
    status: OutreachStatus | None = None,
    offset: int,
    limit: int,
) -> tuple[Sequence[OutreachEvent], int]:
    """The client's outreach events, by id (the filters given, all of them)."""
    where = [OutreachEvent.client == client]
    if campaign_id is not None:
        where.append(OutreachEvent.campaign == campaign_id)
    if customer_id is not None:
        where.append(OutreachEvent.customer == customer_id)
    if status is not None:
        where.append(OutreachEvent.status == status.value)
    rows = session.execute(
        select(OutreachEvent).where(*where).order_by(OutreachEvent.id).offset(offset).limit(limit)  # type: ignore[arg-type]
    )
    count = session.execute(select(func.count()).select_from(OutreachEvent).where(*where)).scalar_one()  # type: ignore[arg-type]
    return rows.scalars().all(), count


def status_counts(session: Session, *, campaign_id: int) -> dict[str, int]:
    """How many of the campaign's events are in each state (every state named, zeros included)."""
    counts = dict(
        session.execute(
            select(OutreachEvent.status, func.count())
            .where(OutreachEvent.campaign == campaign_id)
            .group_by(OutreachEvent.status)
        ).all()
    )
    return {status.value: int(counts.get(status.value, 0)) for status in OutreachStatus}
