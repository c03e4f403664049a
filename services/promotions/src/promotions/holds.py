"""Holds: a user takes one unit of a running promo for `PROMOTIONS_HOLD_SECONDS`, releases it, or
completes the purchase (purchases.py). How a unit is taken atomically is models.py's docstring; this
module follows it step by step.

Taking a hold is one transaction that takes SQLite's write lock at its start (quintet_shared.write_lock),
so on SQLite concurrent holds take turns; on PostgreSQL the conditional UPDATE of the promo row is
the turn-taker, and the per-user rules decided before it are decided again after it (the hold is
inserted only if they still hold). Refusals, each a 409
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

Cost: a hold is three statements and the commit, each built once (`_SITUATION`, `_TAKE_UNIT`,
`_INSERT_HOLD`): one SELECT reads everything the checks need, then the conditional UPDATE, then
the conditional INSERT. Built per call as ORM statements (a lookup each for the key, the promo,
the profile, the store and the user's holds, then the UPDATE, an INSERT and the user's holds
again), a hold cost 6.6-9.7 ms of CPU in one thread on PostgreSQL; now 1.2-1.9 ms (the service's
rates are in bench/promotions.py).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, String, and_, bindparam, case, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from promotions.models import Hold, HoldStatus, Product, Profile, ProfileSegment, Promo, PromoSegment, Purchase, Store
from promotions.problems import conflict, invalid
from promotions.schemas import MAX_ID
from promotions.schemas_holds import HoldCreate, HoldPublic
from promotions.stock import give_back_expired, live_hold
from quintet_shared.errors import NotFound, Problem
from quintet_shared.geo import distance_km
from quintet_shared.types import UTCDateTime
from quintet_shared.write_lock import begin_write


@dataclass(frozen=True, slots=True)
class Taken:
    hold: HoldPublic
    replayed: bool = False


def take_hold(
    session: Session, *, client: str, data: HoldCreate, key: str | None, now: datetime, hold_seconds: int
) -> Taken:
    begin_write(session)
    found = (
        session.connection()
        .execute(_SITUATION, {"client": client, "promo_id": data.promo_id, "user": data.user, "key": key, "now": now})
        .first()
    )
    if found is None or found.key_used:  # rare: a retry with a key used already, or not the client's promo
        if key is not None and (earlier := _by_key(session, client, key)) is not None:
            return _replay(earlier, data)
        if found is None:  # every promo has a product and a store: no row is no promo of the client's
            raise invalid("promo_id", f"is not one of your promos (no promo {data.promo_id})")
    try:
        return _take_hold(session, found, client=client, data=data, key=key, now=now, hold_seconds=hold_seconds)
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


def _situation() -> Any:
    """Everything the checks before the unit is taken read, in one statement (one round trip): the
    promo, its store's location, the user's profile (outer: none is `not_eligible`), whether they
    share a segment, the user's live holds and purchases of the promo, and whether the
    Idempotency-Key was used already."""
    client, user = bindparam("client", type_=String), bindparam("user", type_=String)
    now = bindparam("now", type_=UTCDateTime)
    in_common = (
        select(ProfileSegment.profile_id)
        .join(PromoSegment, PromoSegment.segment_id == ProfileSegment.segment_id)
        .where(ProfileSegment.profile_id == Profile.id, PromoSegment.promo_id == Promo.id)
        .exists()
    )
    held = select(func.count()).where(
        Hold.promo_id == Promo.id, Hold.user == user, Hold.status == HoldStatus.HELD, Hold.expires_at > now
    )
    bought = select(func.count()).where(Purchase.promo_id == Promo.id, Purchase.user == user)
    key_used = select(Hold.id).where(Hold.client == client, Hold.idempotency_key == bindparam("key", type_=String))
    return (
        select(
            Promo.id,
            Promo.active,
            Promo.starts_at,
            Promo.ends_at,
            Promo.units,
            Promo.units_sold,
            Promo.radius_km,
            Promo.per_user_limit,
            Store.latitude.label("store_latitude"),
            Store.longitude.label("store_longitude"),
            Profile.id.label("profile_id"),
            Profile.latitude,
            Profile.longitude,
            in_common.label("shares_segment"),
            held.scalar_subquery().label("held"),
            bought.scalar_subquery().label("bought"),
            key_used.exists().label("key_used"),
        )
        .select_from(Promo)
        .join(Product, Product.id == Promo.product_id)
        .join(Store, Store.id == Product.store_id)
        .outerjoin(Profile, and_(Profile.client == client, Profile.user == user))
        .where(Promo.id == bindparam("promo_id", type_=Integer), Promo.client == client)
    )


def _insert_hold() -> Any:
    """Step 3 after the unit is taken: the hold, inserted only if the user still has no live hold
    of the promo and is under its limit. A statement that starts after the promo row was locked
    reads every hold and purchase committed before that: a concurrent tap of the same user
    (queued on the same row lock) is seen here, so a user never gets two holds."""
    promo_id, user = bindparam("h_promo_id", type_=Integer), bindparam("h_user", type_=String)
    now = bindparam("h_now", type_=UTCDateTime)
    live = select(Hold.id).where(
        Hold.promo_id == promo_id, Hold.user == user, Hold.status == HoldStatus.HELD, Hold.expires_at > now
    )
    bought = select(func.count()).where(Purchase.promo_id == promo_id, Purchase.user == user).scalar_subquery()
    row = select(
        bindparam("h_client", type_=String),
        promo_id,
        user,
        literal(HoldStatus.HELD.value, String),
        bindparam("h_key", type_=String),
        now,
        bindparam("h_expires", type_=UTCDateTime),
    ).where(~live.exists(), bought < bindparam("h_limit", type_=Integer))
    columns = ["client", "promo_id", "user", "status", "idempotency_key", "created_at", "expires_at"]
    return insert(Hold).from_select(columns, row).returning(Hold.id)


def _take_unit_statement() -> Any:
    return (
        update(Promo)
        .where(Promo.id == bindparam("promo_id", type_=Integer), Promo.units_taken < Promo.units)
        .values(units_taken=Promo.units_taken + 1)
    )


# Built once: a statement object used again skips SQLAlchemy's construction and cache-key work,
# which was most of the hold path's CPU when it was built per call (bench/promotions.py).
_SITUATION, _INSERT_HOLD, _TAKE_UNIT = _situation(), _insert_hold(), _take_unit_statement()


def _take_hold(
    session: Session,
    found: Row[Any],
    *,
    client: str,
    data: HoldCreate,
    key: str | None,
    now: datetime,
    hold_seconds: int,
) -> Taken:
    _check_on_sale(found, now)
    _check_reach(found, user=data.user)
    _check_counts(found.id, data.user, held=found.held, purchases=found.bought, limit=found.per_user_limit)
    if not _take_unit(session, found.id, now):
        raise conflict(f"Promo {found.id} is sold out: every unit is sold or held.", "sold_out")
    # The promo row is locked until commit: what follows is decided in turn with every other hold.
    expires_at = now + timedelta(seconds=hold_seconds)
    params = {
        "h_client": client,
        "h_promo_id": found.id,
        "h_user": data.user,
        "h_key": key,
        "h_now": now,
        "h_expires": expires_at,
        "h_limit": found.per_user_limit,
    }
    try:
        hold_id = session.connection().execute(_INSERT_HOLD, params).scalar_one_or_none()
    except IntegrityError:  # the same key, taken by a concurrent request that committed first
        session.rollback()
        earlier = _by_key(session, client, key) if key is not None else None
        if earlier is None:
            raise
        return _replay(earlier, data)
    if hold_id is None:  # a tap of the same user committed meanwhile: say which rule it broke
        _check_user(session, promo_id=found.id, limit=found.per_user_limit, user=data.user, now=now)
        raise conflict(f"User {data.user!r} already holds a unit of promo {found.id}.", "already_held")
    hold = HoldPublic(id=hold_id, promo_id=found.id, user=data.user, expires_at=expires_at, status="held")
    return Taken(hold)


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


def _check_on_sale(promo: Row[Any], now: datetime) -> None:
    if not promo.active or not promo.starts_at <= now < promo.ends_at:
        state = "inactive" if not promo.active else "not started" if now < promo.starts_at else "ended"
        raise conflict(f"Promo {promo.id} is not on sale now ({state}).", "not_running")
    if promo.units_sold >= promo.units:
        raise conflict(f"Promo {promo.id} is sold out: every unit is sold.", "sold_out")


def _check_reach(found: Row[Any], *, user: str) -> None:
    """The rules of GET /promotions/promos/eligible for one promo: a segment in common, then within
    the radius of the store (great-circle distance)."""
    if found.profile_id is None:
        raise conflict(f"User {user!r} has no profile: nobody is eligible without one.", "not_eligible")
    if found.latitude is None or found.longitude is None:
        raise conflict(f"User {user!r} has no location: nobody is eligible without one.", "not_eligible")
    if not found.shares_segment:
        raise conflict(f"User {user!r} is in none of the promo's segments.", "not_eligible")
    distance = distance_km(found.latitude, found.longitude, found.store_latitude, found.store_longitude)
    if distance > found.radius_km:
        raise conflict(
            f"User {user!r} is {distance:.3f} km from the store; the promo reaches {found.radius_km:g} km.", "too_far"
        )


def _check_user(session: Session, *, promo_id: int, limit: int, user: str, now: datetime) -> None:
    """`already_held`, then `limit_reached` (purchases and live holds), as the tables are now."""
    holds = select(func.count()).where(Hold.promo_id == promo_id, Hold.user == user, live_hold(now))
    bought = select(func.count()).where(Purchase.promo_id == promo_id, Purchase.user == user)
    held, purchases = session.execute(select(holds.scalar_subquery(), bought.scalar_subquery())).one()
    _check_counts(promo_id, user, held=held, purchases=purchases, limit=limit)


def _check_counts(promo_id: int, user: str, *, held: int, purchases: int, limit: int) -> None:
    if held:
        raise conflict(f"User {user!r} already holds a unit of promo {promo_id}.", "already_held")
    if purchases + held >= limit:
        raise conflict(
            f"User {user!r} has bought {purchases} of the {limit} units one user may take.",
            "limit_reached",
        )


def _take_unit(session: Session, promo_id: int, now: datetime) -> bool:
    """Step 1 of models.py's docstring, and once more after step 2. Once more even when this
    transaction gave nothing back: a concurrent one may have just given back more than it took (it
    held the expired holds' row locks, so its commit came first)."""
    for attempt in range(2):
        taken = session.connection().execute(_TAKE_UNIT, {"promo_id": promo_id}).rowcount
        if taken:
            return True
        if attempt == 0:
            give_back_expired(session, promo_id=promo_id, now=now)
    return False
