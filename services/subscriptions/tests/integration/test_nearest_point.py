"""The nearest point read from the database by growing boxes agrees with brute force, on SQLite and
PostgreSQL, for random points anywhere (the poles and the antimeridian too), and with the batch index."""

import random

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from quintet_shared.geo import distance_km
from subscriptions.models import ForecastPoint
from subscriptions.nearest import PointIndex, nearest_point

from .conftest import NOW


def _location(rng: random.Random) -> tuple[float, float]:
    kind = rng.random()
    if kind < 0.15:
        return rng.choice([-90.0, 90.0, rng.uniform(85, 90), rng.uniform(-90, -85)]), rng.uniform(-180, 180)
    if kind < 0.3:
        return rng.uniform(-60, 60), rng.choice([180.0, -180.0, rng.uniform(175, 180), rng.uniform(-180, -175)])
    return rng.uniform(-90, 90), rng.uniform(-180, 180)


@pytest.mark.parametrize("count", [1, 7, 300])
def test_growing_boxes_find_the_brute_force_nearest(engine: Engine, count: int) -> None:
    rng = random.Random(count)
    points = [(f"{i:05d}", *_location(rng)) for i in range(count)]
    with Session(engine) as session:
        for gid, lat, lon in points:
            session.add(
                ForecastPoint(client="iska", gid=gid, latitude=lat, longitude=lon, created_at=NOW, updated_at=NOW)
            )
        session.add(ForecastPoint(client="other", gid="x", latitude=0, longitude=0, created_at=NOW, updated_at=NOW))
        session.commit()
        index = PointIndex.load(session, client="iska")
        queries = [_location(rng) for _ in range(60)] + [(0.0, 0.0), (90.0, 0.0), (0.0, 180.0)]
        batch = index.nearest_ids([q[0] for q in queries], [q[1] for q in queries])
        for (lat, lon), batch_id in zip(queries, batch, strict=True):
            best = min(distance_km(lat, lon, p_lat, p_lon) for _, p_lat, p_lon in points)
            found = nearest_point(session, client="iska", latitude=lat, longitude=lon)
            assert found is not None and found.km == pytest.approx(best, abs=1e-6)
            chosen = session.get(ForecastPoint, batch_id)
            assert chosen is not None and chosen.client == "iska"
            assert distance_km(lat, lon, chosen.latitude, chosen.longitude) == pytest.approx(best, abs=1e-6)


def test_a_client_without_points_has_no_nearest(engine: Engine) -> None:
    with Session(engine) as session:
        assert nearest_point(session, client="nobody", latitude=1, longitude=2) is None
