"""Who may see a promo: a segment in common, and within the promo's radius of its store.

Both directions run the same way on SQLite and PostgreSQL: the database narrows the candidates with
a bounding box on indexed latitude and longitude columns ((client, latitude, longitude) on profile
and on store: a range on latitude, longitude checked in the index), and the exact great-circle
distance (geo.distance_km) decides among them. No query reads every profile or every promo; a
profile without a location is never eligible (NULL is in no box), and 0 is a coordinate.

- `eligible_promos`: a user's running promos (GET /promotions/promos/eligible?user=).
- `eligible_profiles`: a promo's users, set-based, for the notification run; `extra` conditions
  (e.g. "not notified that day") are added to the same query.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlmodel import Session

from promotions.models import Product, Profile, ProfileSegment, Promo, PromoSegment, Store
from promotions.profiles import find_profile
from promotions.running import item_fields, running, running_rows
from promotions.schemas_promos import EligiblePromo
from promotions.stock import held_counts
from quintet_shared.errors import NotFound
from quintet_shared.geo import BoundingBox, bounding_box, distance_km

PROFILE_BATCH = 5_000  # profiles read from the database at a time


def in_box(latitude: Any, longitude: Any, box: BoundingBox) -> ColumnElement[bool]:
    """The box as SQL on two columns: a latitude range, then one or two longitude ranges (two across
    the antimeridian; every longitude when the circle reaches a pole)."""
    ranges = [longitude.between(low, high) for low, high in box.longitude_ranges]
    return and_(latitude.between(box.min_latitude, box.max_latitude), or_(*ranges))


def eligible_promos(session: Session, *, client: str, user: str, now: datetime) -> list[EligiblePromo]:
    """The running promos `user` may take, nearest first: 404 for an unknown user; none for a user
    without a location or segments."""
    profile = find_profile(session, client=client, user=user)
    if profile is None:
        raise NotFound(f"Profile {user!r} was not found.")
    if profile.latitude is None or profile.longitude is None:
        return []
    segment_ids = (
        session.execute(select(ProfileSegment.segment_id).where(ProfileSegment.profile_id == profile.id))
        .scalars()
        .all()
    )
    if not segment_ids:
        return []
    shares_segment = exists().where(PromoSegment.promo_id == Promo.id, PromoSegment.segment_id.in_(segment_ids))
    candidates = and_(running(client, now), shares_segment)
    # One box, of the widest radius among the candidates, finds their stores through the index; each
    # promo's own radius then decides on the exact distance.
    widest = session.execute(select(func.max(Promo.radius_km)).where(candidates)).scalar_one()
    if widest is None:
        return []
    box = bounding_box(profile.latitude, profile.longitude, widest)
    rows = session.execute(
        running_rows(and_(candidates, Store.client == client, in_box(Store.latitude, Store.longitude, box)))
    ).all()
    found = []
    for row in rows:
        promo, store = row[0], row[4]
        distance = distance_km(profile.latitude, profile.longitude, store.latitude, store.longitude)
        if distance <= promo.radius_km:
            found.append((distance, row))
    held = held_counts(session, (row[0].id for _, row in found), now=now)
    items = [
        EligiblePromo(**item_fields(*row, held=held.get(row[0].id, 0)), distance_km=round(distance, 3))
        for distance, row in found
    ]
    return sorted(items, key=lambda item: (item.distance_km, item.id))


@dataclass(frozen=True, slots=True)
class EligibleProfile:
    profile_id: int
    user: str
    email: str | None
    distance_km: float


def profiles_in_reach(
    *, client: str, segment_ids: Iterable[int], latitude: float, longitude: float, radius_km: float
) -> Select[tuple[int, str, str | None, float, float]]:
    """The prefilter: the client's profiles in a segment of `segment_ids` inside the radius's box."""
    box = bounding_box(latitude, longitude, radius_km)
    in_segment = exists().where(
        ProfileSegment.profile_id == Profile.id, ProfileSegment.segment_id.in_(list(segment_ids))
    )
    return (
        select(Profile.id, Profile.user, Profile.email, Profile.latitude, Profile.longitude)
        .where(Profile.client == client, in_box(Profile.latitude, Profile.longitude, box), in_segment)
        .order_by(Profile.id)
    )


def eligible_profiles(
    session: Session, *, client: str, promo_id: int, extra: Iterable[ColumnElement[bool]] = ()
) -> Iterator[EligibleProfile]:
    """The profiles a promo reaches (a segment in common, within its radius of the store), streamed
    in batches; nothing for a promo the client does not own."""
    target = session.execute(
        select(Promo.radius_km, Store.latitude, Store.longitude)
        .join(Product, Product.id == Promo.product_id)
        .join(Store, Store.id == Product.store_id)
        .where(Promo.id == promo_id, Promo.client == client)
    ).first()
    if target is None:
        return
    radius_km, store_latitude, store_longitude = target
    segment_ids = (
        session.execute(select(PromoSegment.segment_id).where(PromoSegment.promo_id == promo_id)).scalars().all()
    )
    if not segment_ids:
        return
    query = profiles_in_reach(
        client=client, segment_ids=segment_ids, latitude=store_latitude, longitude=store_longitude, radius_km=radius_km
    ).where(*extra)
    for profile_id, user, email, latitude, longitude in session.execute(
        query.execution_options(yield_per=PROFILE_BATCH)
    ):
        distance = distance_km(store_latitude, store_longitude, latitude, longitude)
        if distance <= radius_km:
            yield EligibleProfile(profile_id=profile_id, user=user, email=email, distance_km=distance)
