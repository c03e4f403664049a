"""The nearest forecast point by exact great-circle distance, without PostGIS: one at a time in the
database, or a batch in memory.

One subscriber (`nearest_point`: the API's create and update): growing boxes over the (client,
latitude, longitude) index. The points inside `bounding_box(subscriber, r)` (quintet_shared.geo: one
or two longitude ranges, every longitude near a pole) are read and their exact distances computed.
If the best is within r it is the nearest of all: any nearer point lies within r, so inside the box.
Otherwise r grows fourfold (50, 200, 800, 3,200, 12,800 km, then the whole Earth); a client without
points gives None. Ties go to the smaller gid, so the answer does not depend on the read order.

A batch (`PointIndex`: CSV uploads, relinking after forecasts change): the client's points are read
once (10,000 points are a few hundred kilobytes) into a KD-tree of their positions on the unit
sphere (x, y, z). The chord between two points is 2 sin(d / 2R) for a great-circle distance d, which
increases with d over [0, pi R]: the point of the smallest chord is the point of the smallest
great-circle distance, so an exact nearest-neighbour query in 3-D is exact on the sphere too, with
no special case at the poles or the antimeridian. (Near the antipode the chord flattens: two points
within about 0.1 m of the same, 20,000 km, distance may be taken one for the other.) The distance
reported is the haversine of the point found. A query is vectorised over numpy arrays (a million
subscribers against 10,000 points: 1.4 s on one core here), so an import links each batch of rows in one
call and writes the links with its rows.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from sqlalchemy import and_, or_, select
from sqlmodel import Session

from quintet_shared.geo import EARTH_RADIUS_KM, HALF_CIRCUMFERENCE_KM, bounding_box, distance_km
from subscriptions.models import ForecastPoint

FIRST_RADIUS_KM = 50.0
GROWTH = 4.0


@dataclass(frozen=True, slots=True)
class Nearest:
    id: int
    gid: str
    km: float


def nearest_point(session: Session, *, client: str, latitude: float, longitude: float) -> Nearest | None:
    """The client's forecast point nearest to a location (growing boxes: see the module's docstring)."""
    radius = FIRST_RADIUS_KM
    while True:
        whole_earth = radius >= HALF_CIRCUMFERENCE_KM
        query = select(ForecastPoint.id, ForecastPoint.gid, ForecastPoint.latitude, ForecastPoint.longitude).where(
            ForecastPoint.client == client  # type: ignore[arg-type]
        )
        if not whole_earth:
            box = bounding_box(latitude, longitude, radius)
            lat = ForecastPoint.latitude
            lon = ForecastPoint.longitude
            query = query.where(
                lat.between(box.min_latitude, box.max_latitude),  # type: ignore[attr-defined]
                or_(*(and_(lon >= low, lon <= high) for low, high in box.longitude_ranges)),  # type: ignore[operator]
            )
        best: Nearest | None = None
        for id, gid, lat_, lon_ in session.execute(query):
            km = distance_km(latitude, longitude, lat_, lon_)
            if best is None or (km, gid) < (best.km, best.gid):
                best = Nearest(id, gid, km)
        if whole_earth or (best is not None and best.km <= radius):
            return best
        radius *= GROWTH


def _unit_vectors(latitudes: NDArray[np.float64], longitudes: NDArray[np.float64]) -> NDArray[np.float64]:
    phi, lam = np.radians(latitudes), np.radians(longitudes)
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def _haversine_km(
    lat1: NDArray[np.float64], lon1: NDArray[np.float64], lat2: NDArray[np.float64], lon2: NDArray[np.float64]
) -> NDArray[np.float64]:
    """quintet_shared.geo.distance_km over arrays (the chord loses precision near antipodes)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class PointIndex:
    """A client's forecast points in a KD-tree on the unit sphere, for batches of subscribers."""

    def __init__(self, points: Sequence[tuple[int, str, float, float]]) -> None:
        """`points`: (id, gid, latitude, longitude) each."""
        self.ids = np.array([p[0] for p in points], dtype=np.int64)
        self.gids = [p[1] for p in points]
        self.latitudes = np.array([p[2] for p in points], dtype=np.float64)
        self.longitudes = np.array([p[3] for p in points], dtype=np.float64)
        self._tree = cKDTree(_unit_vectors(self.latitudes, self.longitudes)) if points else None

    @classmethod
    def load(cls, session: Session, *, client: str) -> "PointIndex":
        query = select(ForecastPoint.id, ForecastPoint.gid, ForecastPoint.latitude, ForecastPoint.longitude).where(
            ForecastPoint.client == client  # type: ignore[arg-type]
        )
        return cls([tuple(row) for row in session.execute(query)])  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.gids)

    def query(
        self, latitudes: Sequence[float] | NDArray[np.float64], longitudes: Sequence[float] | NDArray[np.float64]
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """For each location: the position of its nearest point (in `ids`, `gids`) and the distance in km.
        Empty index: positions -1 and distances inf."""
        lat = np.asarray(latitudes, dtype=np.float64)
        lon = np.asarray(longitudes, dtype=np.float64)
        if self._tree is None:
            return np.full(lat.shape, -1, dtype=np.intp), np.full(lat.shape, math.inf)
        _, found = self._tree.query(_unit_vectors(lat, lon), k=1)
        positions = np.asarray(found, dtype=np.intp)
        return positions, _haversine_km(lat, lon, self.latitudes[positions], self.longitudes[positions])

    def nearest_ids(
        self, latitudes: Sequence[float] | NDArray[np.float64], longitudes: Sequence[float] | NDArray[np.float64]
    ) -> list[int | None]:
        """The id of the nearest point of each location (None for every one when there is no point)."""
        positions, _ = self.query(latitudes, longitudes)
        if self._tree is None:
            return [None] * len(positions)
        return [int(i) for i in self.ids[positions]]
