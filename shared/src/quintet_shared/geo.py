"""Great-circle distance and the bounding box of a radius, on a spherical Earth.

The database finds candidates inside a box of latitudes and longitudes (an index range: promotions'
eligibility, subscriptions' nearest point); the exact distance then decides. The box never misses a
point within the radius: near a pole it takes every longitude, across the antimeridian it is two
longitude ranges.
Coordinates are degrees; 0 is a coordinate like any other.
"""

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
HALF_CIRCUMFERENCE_KM = math.pi * EARTH_RADIUS_KM  # about 20,015 km: no two points are farther apart
# Widen boxes by about a millimetre, so that float rounding never drops a point lying on the edge.
_MARGIN_DEGREES = 1e-8


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The haversine great-circle distance between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def destination(latitude: float, longitude: float, bearing_degrees: float, km: float) -> tuple[float, float]:
    """The point `km` away along a bearing (clockwise from north): for demo data, benches and tests."""
    phi, lam, theta = math.radians(latitude), math.radians(longitude), math.radians(bearing_degrees)
    delta = km / EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """Latitudes `[min_latitude, max_latitude]`, and longitudes in any of `longitude_ranges` (each
    `(low, high)` with low <= high, within [-180, 180])."""

    min_latitude: float
    max_latitude: float
    longitude_ranges: tuple[tuple[float, float], ...]

    def contains(self, latitude: float, longitude: float) -> bool:
        if not self.min_latitude <= latitude <= self.max_latitude:
            return False
        return any(low <= longitude <= high for low, high in self.longitude_ranges)


def bounding_box(latitude: float, longitude: float, radius_km: float) -> BoundingBox:
    """The smallest latitude/longitude box holding every point within `radius_km` of the centre.

    The latitude bounds are the centre's latitude plus and minus the angular radius. The longitude
    half-width is asin(sin r / cos latitude), the widest a circle of angular radius r reaches (at
    a latitude nearer the pole than its centre). A circle that reaches a pole takes every longitude.
    """
    if radius_km < 0 or math.isnan(radius_km):
        raise ValueError("radius_km must be a number >= 0")
    angular = radius_km / EARTH_RADIUS_KM  # radians
    lat = math.radians(latitude)
    low_lat, high_lat = lat - angular, lat + angular
    if low_lat <= -math.pi / 2 or high_lat >= math.pi / 2:
        return BoundingBox(
            min_latitude=max(-90.0, math.degrees(low_lat) - _MARGIN_DEGREES),
            max_latitude=min(90.0, math.degrees(high_lat) + _MARGIN_DEGREES),
            longitude_ranges=((-180.0, 180.0),),
        )
    half_width = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(lat)))) + _MARGIN_DEGREES
    west, east = longitude - half_width, longitude + half_width
    if east - west >= 360:
        ranges: tuple[tuple[float, float], ...] = ((-180.0, 180.0),)
    elif west < -180:  # across the antimeridian, westwards
        ranges = ((west + 360, 180.0), (-180.0, east))
    elif east > 180:  # across the antimeridian, eastwards
        ranges = ((west, 180.0), (-180.0, east - 360))
    else:
        ranges = ((west, east),)
    return BoundingBox(
        min_latitude=math.degrees(low_lat) - _MARGIN_DEGREES,
        max_latitude=math.degrees(high_lat) + _MARGIN_DEGREES,
        longitude_ranges=ranges,
    )
