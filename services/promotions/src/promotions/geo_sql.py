"""The exact great-circle distance inside SQL, so that a set-based statement (the notification run's
INSERT ... SELECT) decides eligibility without bringing the candidates back to Python.

PostgreSQL computes geo.distance_km's haversine itself, term for term in double precision (the same
clamping of `a` to [0, 1]); SQLite has no trigonometry in every build, so the session's connection
gets a deterministic function that calls geo.distance_km. Either way the distance is computed only on
the rows the bounding box let through (eligibility.profiles_in_reach), never on every profile.
"""

import math
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session

from quintet_shared.geo import EARTH_RADIUS_KM, distance_km

SQLITE_FUNCTION = "promotions_distance_km"


def distance_from(
    session: Session, latitude: float, longitude: float, to_latitude: Any, to_longitude: Any
) -> ColumnElement[float]:
    """The distance in km from a fixed point to the point in two columns, for the session's database."""
    if session.get_bind().dialect.name == "sqlite":
        _register_sqlite_function(session)
        return getattr(func, SQLITE_FUNCTION)(latitude, longitude, to_latitude, to_longitude)
    phi1, lambda1 = math.radians(latitude), math.radians(longitude)
    phi2 = func.radians(to_latitude)
    half_dphi = func.sin((phi2 - phi1) / 2)
    half_dlambda = func.sin((func.radians(to_longitude) - lambda1) / 2)
    a = half_dphi * half_dphi + math.cos(phi1) * func.cos(phi2) * half_dlambda * half_dlambda
    return 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(func.least(1.0, func.greatest(0.0, a))))


def _register_sqlite_function(session: Session) -> None:
    # On the connection the session's next statement runs on: registering again only replaces it.
    connection = session.connection().connection.driver_connection
    connection.create_function(SQLITE_FUNCTION, 4, _distance_or_null, deterministic=True)


def _distance_or_null(lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None) -> float | None:
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    return distance_km(lat1, lon1, lat2, lon2)
