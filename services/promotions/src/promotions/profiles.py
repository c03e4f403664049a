"""Profiles: a client's end user, by the client's own reference `user`, with an optional email, an
optional location (latitude and longitude both or neither; 0 is a coordinate) and segments.

`PUT /promotions/profiles/{user}` creates or replaces the whole profile: what the body leaves out is
cleared. Lists are ordered by `user`, which the unique (client, user) index serves.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from promotions import segments
from promotions.models import Profile, ProfileSegment, Segment
from promotions.problems import conflict, invalid
from promotions.schemas import ProfileBody, ProfilePublic
from quintet_shared.errors import NotFound


@dataclass(frozen=True, slots=True)
class Saved:
    profile: ProfilePublic
    created: bool


def find_profile(session: Session, *, client: str, user: str) -> Profile | None:
    return session.execute(select(Profile).where(Profile.client == client, Profile.user == user)).scalar_one_or_none()


def get_profile(session: Session, *, client: str, user: str) -> ProfilePublic:
    profile = find_profile(session, client=client, user=user)
    if profile is None:
        raise NotFound(f"Profile {user!r} was not found.")
    return _publics(session, [profile])[0]


def put_profile(session: Session, *, client: str, user: str, data: ProfileBody, now: datetime) -> Saved:
    if (data.latitude is None) != (data.longitude is None):
        missing = "longitude" if data.longitude is None else "latitude"
        raise invalid(missing, "is required with the other coordinate (send both or neither)")
    segment_ids = segments.resolve(session, client=client, names=data.segments)
    profile = find_profile(session, client=client, user=user)
    created = profile is None
    if profile is None:
        profile = Profile(client=client, user=user, created_at=now, updated_at=now)
        session.add(profile)
    profile.email = data.email
    profile.latitude, profile.longitude = data.latitude, data.longitude
    profile.updated_at = now
    try:
        session.flush()
    except IntegrityError:  # the same user created by a concurrent PUT
        session.rollback()
        raise conflict(
            f"Profile {user!r} was written by another request meanwhile; retry.", "concurrent_update"
        ) from None
    if not created:
        session.execute(delete(ProfileSegment).where(ProfileSegment.profile_id == profile.id))
    if segment_ids:
        rows = [{"profile_id": profile.id, "segment_id": id} for id in segment_ids.values()]
        session.execute(insert(ProfileSegment), rows)
    return Saved(_publics(session, [profile])[0], created)


def delete_profile(session: Session, *, client: str, user: str) -> None:
    profile = find_profile(session, client=client, user=user)
    if profile is None:
        raise NotFound(f"Profile {user!r} was not found.")
    session.execute(delete(ProfileSegment).where(ProfileSegment.profile_id == profile.id))
    session.delete(profile)
    session.flush()


def list_profiles(session: Session, *, client: str, offset: int, limit: int) -> list[ProfilePublic]:
    query = select(Profile).where(Profile.client == client).order_by(Profile.user).offset(offset).limit(limit)
    return _publics(session, session.execute(query).scalars().all())


def count_profiles(session: Session, *, client: str) -> int:
    return session.execute(select(func.count()).where(Profile.client == client)).scalar_one()


def _publics(session: Session, profiles: Sequence[Profile]) -> list[ProfilePublic]:
    """Profiles with their segment names, read in one query for the lot."""
    names: dict[int, list[str]] = defaultdict(list)
    ids = [profile.id for profile in profiles]
    if ids:
        rows = session.execute(
            select(ProfileSegment.profile_id, Segment.name)
            .join(Segment, Segment.id == ProfileSegment.segment_id)
            .where(ProfileSegment.profile_id.in_(ids))
            .order_by(Segment.name)
        ).all()
        for profile_id, name in rows:
            names[profile_id].append(name)
    return [
        ProfilePublic(
            user=profile.user,
            email=profile.email,
            latitude=profile.latitude,
            longitude=profile.longitude,
            segments=names[profile.id] if profile.id is not None else [],
            created_at=profile.created_at,
            updated_at=profile.updated_at,
        )
        for profile in profiles
    ]
