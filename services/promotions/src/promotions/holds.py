"""Holds: a user takes one unit of a running promo for `PROMOTIONS_HOLD_SECONDS`, releases it, or
completes the purchase (purchases.py). How a unit is taken atomically is models.py's docstring; this
module follows it step by step.

Taking a hold is one transaction that takes SQLite's write lock at its start (quintet_shared.write_lock),
so on SQLite concurrent holds take turns; on PostgreSQL the conditional UPDATE of the promo row is
the turn-taker, and everything decided before it is decided again after it. Refusals, each a 409
with a `code`, in this order: `not_running` (inactive, not started or ended), `sold_out` (the last
unit was sold), `not_eligible` (no profile, no location or no segment in common), `too_far` (beyond
the radius: the same rules as GET /promotions/promos/eligible), `already_held` (the user has a live
hold on the promo), `limit_reached` (the user's purchases and live holds reach `per_user_limit`),
then `sold_out` again when no unit can be taken (all sold or held by live holds).

`Idempotency-Key`: a hold taken with a key is found again by the unique (client, idempotency_key),
and the same key with the same body answers the first answer (201, the same body, header
`Idempotent-Replayed: true`) instead of taking a second unit, also after the hold was completed,
released or expired; with another body it is 422 `idempotency_key_reused` (as the IETF draft
advises). A refused hold (409) takes nothing and stores nothing, so its key stays unused: a retry
is decided afresh and may succeed once a unit has come back.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from promotions.models import Hold, HoldStatus, Product, Profile, ProfileSegment, Promo, PromoSegment, Purchase, Store
from promotions.problems import conflict, owned_in_body
from promotions.schemas import MAX_ID
from promotions.schemas_holds import HoldCreate, HoldPublic
from promotions.stock import give_back_expired, live_hold
from quintet_shared.errors import NotFound, Problem
from quintet_shared.geo import distance_km
from quintet_shared.write_lock import begin_write


@dataclass(frozen=True, slots=True)
class Taken:
    hold: HoldPublic
    replayed: bool = False


def take_hold(
    session: Session, *, client: str, data: HoldCreate, key: str | None, now: datetime, hold_seconds: int
) -> Taken:
    begin_write(session)
    if key is not None and (earlier := _by_key(session, client, key)) is not None:
        return _replay(earlier, data)
    try:
        return _take_hold(session, client=client, data=data, key=key, now=now, hold_seconds=hold_seconds)
    except Problem:
        if key is None:
            raise
        # On PostgreSQL each statement reads what is committed when it starts: a tap with the same
        # key that committed after the lookup above shows up in the checks as this user's live hold
        # (`already_held`). Its answer is the one to give.
        session.rollback()
        if (earlier := _by_key(session, client, key)) is not None:
            return _replay(earlier, data)
        raise


def _take_hold(
    session: Session, *, client: str, data: HoldCreate, key: str | None, now: datetime, hold_seconds: int
) -> Taken:
    promo = owned_in_body(session, Promo, client=client, id=data.promo_id, field="promo_id", what="promo")
    _check_on_sale(promo, now)
    _check_reach(session, client=client, promo=promo, user=data.user)
    _check_user(session, promo=promo, user=data.user, now=now)
    if not _take_unit(session, promo.id or 0, now):
        raise conflict(f"Promo {promo.id} is sold out: every unit is sold or held.", "sold_out")
    # The promo row is locked until commit: what follows is decided in turn with every other hold.
    hold = Hold(
        client=client,
        promo_id=promo.id or 0,
        user=data.user,
        idempotency_key=key,
        created_at=now,
        expires_at=now + timedelta(seconds=hold_seconds),
    )
    session.add(hold)
    try:
        session.flush()
    except IntegrityError:  # the same key, taken by a concurrent request that committed first
        session.rollback()
        earlier = _by_key(session, client, key) if key is not None else None
        if earlier is None:
            raise
        return _replay(earlier, data)
    _check_user(session, promo=promo, user=data.user, now=now, besides=hold.id)
    return Taken(_public(hold, now))


def release_hold(session: Session, *, client: str, id: int, user: str, now: datetime) -> None:
    """Give the unit back. A hold that no longer keeps a unit (released, expired) is left as it is;
    a completed one is 409 `already_completed`; another user's or client's is 404."""
    begin_write(session)
    released = session.execute(
        update(Hold)
        .where(_users_hold(client, id, user), Hold.status == HoldStatus.HELD)
        .values(
            status=case((Hold.expires_at > now, HoldStatus.RELEASED.value), else_=HoldStatus.EXPIRED.value),
            ended_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if released:
        promo_id = session.execute(select(Hold.promo_id).where(Hold.id == id)).scalar_one()
        session.execute(
            update(Promo)
            .where(Promo.id == promo_id)
            .values(units_taken=Promo.units_taken - 1)
            .execution_options(synchronize_session=False)
        )
        return
    hold = find_hold(session, client=client, id=id, user=user)
    if hold.status == HoldStatus.COMPLETED:
        raise conflict(f"Hold {id} was completed: its unit is sold.", "already_completed")


def get_hold(session: Session, *, client: str, id: int, user: str, now: datetime) -> HoldPublic:
    return _public(find_hold(session, client=client, id=id, user=user), now)


def find_hold(session: Session, *, client: str, id: int, user: str) -> Hold:
    """The user's hold, or 404 (unknown, another client's or another user's: all alike)."""
    hold = session.execute(select(Hold).where(_users_hold(client, id, user))).scalar_one_or_none()
    if hold is None:
        raise NotFound(f"Hold {id} was not found.")
    return hold


def _users_hold(client: str, id: int, user: str) -> ColumnElement[bool]:
    if not 1 <= id <= MAX_ID:  # beyond any id (and the column's range): unknown
        raise NotFound(f"Hold {id} was not found.")
    return and_(Hold.id == id, Hold.client == client, Hold.user == user)


def _public(hold: Hold, now: datetime) -> HoldPublic:
    status = HoldStatus(hold.status)
    if status == HoldStatus.HELD and hold.expires_at <= now:
        status = HoldStatus.EXPIRED  # expired, not given back yet: the next hold that needs it will
    return HoldPublic(
        id=hold.id or 0, promo_id=hold.promo_id, user=hold.user, expires_at=hold.expires_at, status=status.value
    )


def _by_key(session: Session, client: str, key: str) -> Hold | None:
    return session.execute(select(Hold).where(Hold.client == client, Hold.idempotency_key == key)).scalar_one_or_none()


def _replay(earlier: Hold, data: HoldCreate) -> Taken:
    if (earlier.promo_id, earlier.user) != (data.promo_id, data.user):
        raise Problem(
            "This Idempotency-Key was used for another hold (another promo or user); use a new key "
            "for a new hold, or resend the first request unchanged to get its answer.",
            status=422,
            code="idempotency_key_reused",
        )
    first = HoldPublic(
        id=earlier.id or 0,
        promo_id=earlier.promo_id,
        user=earlier.user,
        expires_at=earlier.expires_at,
        status=HoldStatus.HELD.value,
    )
    return Taken(first, replayed=True)


def _check_on_sale(promo: Promo, now: datetime) -> None:
    if not promo.active or not promo.starts_at <= now < promo.ends_at:
        state = "inactive" if not promo.active else "not started" if now < promo.starts_at else "ended"
        raise conflict(f"Promo {promo.id} is not on sale now ({state}).", "not_running")
    if promo.units_sold >= promo.units:
        raise conflict(f"Promo {promo.id} is sold out: every unit is sold.", "sold_out")


def _check_reach(session: Session, *, client: str, promo: Promo, user: str) -> None:
    """The rules of GET /promotions/promos/eligible for one promo: a segment in common, then within
    the radius of the store (great-circle distance)."""
    in_common = exists().where(
        ProfileSegment.profile_id == Profile.id,
        ProfileSegment.segment_id.in_(select(PromoSegment.segment_id).where(PromoSegment.promo_id == promo.id)),
    )
    profile = session.execute(
        select(Profile.latitude, Profile.longitude, in_common).where(Profile.client == client, Profile.user == user)
    ).first()
    if profile is None:
        raise conflict(f"User {user!r} has no profile: nobody is eligible without one.", "not_eligible")
    latitude, longitude, shares_segment = profile
    if latitude is None or longitude is None:
        raise conflict(f"User {user!r} has no location: nobody is eligible without one.", "not_eligible")
    if not shares_segment:
        raise conflict(f"User {user!r} is in none of the promo's segments.", "not_eligible")
    store = session.execute(
        select(Store.latitude, Store.longitude)
        .join(Product, Product.store_id == Store.id)
        .where(Product.id == promo.product_id)
    ).one()
    distance = distance_km(latitude, longitude, store.latitude, store.longitude)
    if distance > promo.radius_km:
        raise conflict(
            f"User {user!r} is {distance:.3f} km from the store; the promo reaches {promo.radius_km:g} km.", "too_far"
        )


def _check_user(session: Session, *, promo: Promo, user: str, now: datetime, besides: int | None = None) -> None:
    """`already_held`, then `limit_reached` (purchases and live holds); `besides`: the hold being taken."""
    holds = select(func.count()).where(Hold.promo_id == promo.id, Hold.user == user, live_hold(now))
    if besides is not None:
        holds = holds.where(Hold.id != besides)
    bought = select(func.count()).where(Purchase.promo_id == promo.id, Purchase.user == user)
    held, purchases = session.execute(select(holds.scalar_subquery(), bought.scalar_subquery())).one()
    if held:
        raise conflict(f"User {user!r} already holds a unit of promo {promo.id}.", "already_held")
    if purchases + held >= promo.per_user_limit:
        raise conflict(
            f"User {user!r} has bought {purchases} of the {promo.per_user_limit} units one user may take.",
            "limit_reached",
        )


def _take_unit(session: Session, promo_id: int, now: datetime) -> bool:
    """Step 1 of models.py's docstring, and once more after step 2. Once more even when this
    transaction gave nothing back: a concurrent one may have just given back more than it took (it
    held the expired holds' row locks, so its commit came first)."""
    for attempt in range(2):
        taken = session.execute(
            update(Promo)
            .where(Promo.id == promo_id, Promo.units_taken < Promo.units)
            .values(units_taken=Promo.units_taken + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            return True
        if attempt == 0:
            give_back_expired(session, promo_id=promo_id, now=now)
    return False
