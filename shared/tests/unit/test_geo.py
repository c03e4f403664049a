"""Great-circle distances and bounding boxes: the box never misses a point within the radius, near
the poles and across the antimeridian too; 0 is a coordinate like any other."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quintet_shared.geo import HALF_CIRCUMFERENCE_KM, bounding_box, destination, distance_km


def test_known_distances() -> None:
    assert distance_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.6, abs=0.5)  # Paris, London
    assert distance_km(0, 0, 0, 0) == 0
    assert distance_km(0, 0, 0, 1) == pytest.approx(111.195, abs=0.01)  # a degree on the equator
    assert distance_km(0, 179.5, 0, -179.5) == pytest.approx(111.195, abs=0.01)  # across the antimeridian
    assert distance_km(90, 0, 90, 123) == pytest.approx(0, abs=1e-6)  # the pole is one point
    assert distance_km(0, 0, 0, 180) == pytest.approx(HALF_CIRCUMFERENCE_KM)


def test_six_kilometres_is_inside_ten_and_outside_five() -> None:
    store = (43.2380, 76.8829)
    user = destination(*store, 30, 6)
    assert distance_km(*store, *user) == pytest.approx(6, abs=1e-6)
    for radius, inside in ((10, True), (5, False)):
        assert (distance_km(*store, *user) <= radius) is inside
        assert bounding_box(*store, radius).contains(*user) is inside


def test_a_box_on_the_equator_and_the_prime_meridian() -> None:
    box = bounding_box(0, 0, 111.195)
    assert box.min_latitude == pytest.approx(-1, abs=1e-4) and box.max_latitude == pytest.approx(1, abs=1e-4)
    ((west, east),) = box.longitude_ranges
    assert west == pytest.approx(-1, abs=1e-4) and east == pytest.approx(1, abs=1e-4)


def test_a_box_across_the_antimeridian_is_two_ranges() -> None:
    box = bounding_box(10, 179.9, 50)
    assert len(box.longitude_ranges) == 2
    assert box.contains(10, -179.9) and box.contains(10, 179.95)
    assert not box.contains(10, 0)
    west_side = bounding_box(-10, -179.9, 50)
    assert west_side.contains(-10, 179.9) and west_side.contains(-10, -179.8)


def test_a_box_reaching_a_pole_takes_every_longitude() -> None:
    box = bounding_box(89.99, 0, 5)
    assert box.longitude_ranges == ((-180.0, 180.0),) and box.max_latitude == 90
    assert box.contains(89.99, 180)
    south = bounding_box(-89.5, 45, 100)
    assert south.min_latitude == -90 and south.contains(-89.9, -135)


def test_a_radius_around_the_world_is_the_whole_world() -> None:
    box = bounding_box(0, 0, HALF_CIRCUMFERENCE_KM)
    assert (box.min_latitude, box.max_latitude, box.longitude_ranges) == (-90, 90, ((-180.0, 180.0),))


def test_a_zero_radius_holds_its_centre() -> None:
    assert bounding_box(0, 0, 0).contains(0, 0)


def test_a_negative_or_missing_radius_is_refused() -> None:
    for bad in (-1, math.nan):
        with pytest.raises(ValueError):
            bounding_box(0, 0, bad)


@settings(max_examples=400, deadline=None)
@given(
    latitude=st.floats(-90, 90),
    longitude=st.floats(-180, 180),
    radius=st.floats(0.001, 5000),
    bearing=st.floats(0, 360),
    fraction=st.floats(0, 1),
)
def test_every_point_within_the_radius_is_in_the_box(
    latitude: float, longitude: float, radius: float, bearing: float, fraction: float
) -> None:
    point = destination(latitude, longitude, bearing, radius * fraction)
    assert distance_km(latitude, longitude, *point) <= radius * (1 + 1e-9) + 1e-9
    assert bounding_box(latitude, longitude, radius).contains(*point), (latitude, longitude, radius, point)
