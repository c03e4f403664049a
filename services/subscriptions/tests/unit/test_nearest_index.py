"""The batch nearest point (a KD-tree on the unit sphere) agrees with brute force over exact
great-circle distances, for random points anywhere: the poles and both sides of the antimeridian too."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quintet_shared.geo import distance_km
from subscriptions.nearest import PointIndex

latitudes = st.one_of(st.floats(-90, 90), st.sampled_from([-90.0, 90.0, 89.9999, -89.9999, 0.0]))
longitudes = st.one_of(st.floats(-180, 180), st.sampled_from([-180.0, 180.0, 179.9999, -179.9999, 0.0]))
locations = st.tuples(latitudes, longitudes)


def brute_force(points: list[tuple[float, float]], latitude: float, longitude: float) -> float:
    return min(distance_km(latitude, longitude, lat, lon) for lat, lon in points)


@settings(max_examples=300, deadline=None)
@given(st.lists(locations, min_size=1, max_size=40), st.lists(locations, min_size=1, max_size=20))
def test_the_index_finds_the_brute_force_distance(
    points: list[tuple[float, float]], queries: list[tuple[float, float]]
) -> None:
    index = PointIndex([(i + 1, f"{i:03d}", lat, lon) for i, (lat, lon) in enumerate(points)])
    positions, km = index.query([q[0] for q in queries], [q[1] for q in queries])
    for (lat, lon), position, found in zip(queries, positions, km, strict=True):
        best = brute_force(points, lat, lon)
        chosen = distance_km(lat, lon, *points[position])
        # Exact to a millimetre (near the antipode, where the chord flattens, to 0.1 m).
        assert chosen == pytest.approx(best, abs=1e-6 if best < 19_000 else 1e-4), (lat, lon)
        assert found == pytest.approx(chosen, abs=1e-9)


def test_across_the_antimeridian_and_at_the_pole() -> None:
    index = PointIndex([(1, "east", 0, 179.9), (2, "west", 0, -170), (3, "north", 89, 0)])
    assert index.nearest_ids([0, 0, 90], [-179.95, -171, 123]) == [1, 2, 3]
    assert [index.gids[p] for p in index.query([0], [180])[0]] == ["east"]


def test_no_points_links_nothing() -> None:
    index = PointIndex([])
    assert len(index) == 0 and index.nearest_ids([1, 2], [3, 4]) == [None, None]
    positions, km = index.query([1], [3])
    assert positions.tolist() == [-1] and math.isinf(km[0])
