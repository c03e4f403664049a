"""Segments ("New users", "Frequent buyers"): named groups of a client's users that promos target.

A name is unique per client (409 `duplicate_name`). A segment still named by a promo or a profile
is not deleted (409 `segment_in_use`): removing it would silently change who a promo reaches.
Profiles and promos name segments; `resolve` turns names into ids and refuses unknown ones (422
listing them all).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from promotions.models import ProfileSegment, PromoSegment, Segment
from promotions.problems import apply, conflict, get_owned, invalid
from promotions.schemas import SegmentCreate, SegmentPatch, SegmentPublic


def public(segment: Segment) -> SegmentPublic:
    return SegmentPublic.model_validate(segment, from_attributes=True)


def get_segment(session: Session, *, client: str, id: int) -> Segment:
    return get_owned(session, Segment, client=client, id=id, what="Segment")


def create_segment(session: Session, *, client: str, data: SegmentCreate, now: datetime) -> Segment:
    _require_free_name(session, client=client, name=data.name)
    segment = Segment(client=client, name=data.name, description=data.description, created_at=now, updated_at=now)
    session.add(segment)
    _flush_or_duplicate(session, data.name)
    return segment


def update_segment(session: Session, *, client: str, id: int, data: SegmentPatch, now: datetime) -> Segment:
    segment = get_owned(session, Segment, client=client, id=id, what="Segment")
    changes = data.changes()
    if "name" in changes and changes["name"] != segment.name:
        _require_free_name(session, client=client, name=changes["name"])
    apply(segment, changes)
    segment.updated_at = now
    _flush_or_duplicate(session, segment.name)
    return segment


def delete_segment(session: Session, *, client: str, id: int) -> None:
    segment = get_owned(session, Segment, client=client, id=id, what="Segment")
    promo_uses = exists().where(PromoSegment.segment_id == segment.id)  # type: ignore[arg-type]
    profile_uses = exists().where(ProfileSegment.segment_id == segment.id)  # type: ignore[arg-type]
    if session.execute(select(promo_uses | profile_uses)).scalar_one():
        raise conflict(f"Segment {segment.name!r} is still named by a promo or a profile.", "segment_in_use")
    session.delete(segment)
    session.flush()


def list_segments(session: Session, *, client: str, offset: int, limit: int) -> Sequence[Segment]:
    query = select(Segment).where(Segment.client == client).order_by(Segment.name).offset(offset).limit(limit)
    return session.execute(query).scalars().all()


def count_segments(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(Segment.client == client)).scalar_one()


def resolve(session: Session, *, client: str, names: Iterable[str], field: str = "segments") -> dict[str, int]:
    """Segment ids by name, for names of the caller's segments; any other name is a 422 listing all
    the unknown ones."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = session.execute(
        select(Segment.name, Segment.id).where(Segment.client == client, Segment.name.in_(wanted))  # type: ignore[attr-defined]
    ).all()
    found = {name: id for name, id in rows}
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise invalid(field, f"names segments that do not exist: {', '.join(unknown)}")
    return found


def _require_free_name(session: Session, *, client: str, name: str) -> None:
    taken = session.execute(select(Segment.id).where(Segment.client == client, Segment.name == name)).first()
    if taken is not None:
        raise _duplicate(name)


def _flush_or_duplicate(session: Session, name: str) -> None:
    # Another request may have taken the name between the check and this insert: the unique index
    # decides, and the loser hears the same 409.
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise _duplicate(name) from None


def _duplicate(name: str) -> Exception:
    return conflict(f"A segment named {name!r} already exists.", "duplicate_name")
