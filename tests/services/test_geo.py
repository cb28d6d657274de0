"""Geometry: haversine distances against known values; point-in-polygon with holes and MultiPolygons."""
import math

import pytest

from server.services import geo

from ..helpers import YANGHE

# A 10×10 km-ish square around Yanghe with a hole in its middle (GeoJSON order: [lon, lat]).
LAT, LON = YANGHE["lat"], YANGHE["lon"]
OUTER = [[LON - 0.05, LAT - 0.05], [LON + 0.05, LAT - 0.05], [LON + 0.05, LAT + 0.05],
         [LON - 0.05, LAT + 0.05], [LON - 0.05, LAT - 0.05]]
HOLE = [[LON - 0.01, LAT - 0.01], [LON - 0.01, LAT + 0.01], [LON + 0.01, LAT + 0.01],
        [LON + 0.01, LAT - 0.01], [LON - 0.01, LAT - 0.01]]
WITH_HOLE = {"type": "Polygon", "coordinates": [OUTER, HOLE]}


def _square(lat, lon, half):
    return [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]


def test_one_degree_of_latitude():
    assert geo.distance_m(0, 0, 1, 0) == pytest.approx(111_195, abs=5)
    assert geo.distance_m(LAT, LON, LAT + 1, LON) == pytest.approx(111_195, abs=5)


def test_one_degree_of_longitude_shrinks_with_latitude():
    assert geo.distance_m(0, 0, 0, 1) == pytest.approx(111_195, abs=5)
    assert geo.distance_m(60, 10, 60, 11) == pytest.approx(55_597, rel=1e-3)


def test_quarter_and_half_circumference():
    assert geo.distance_m(0, 0, 90, 0) == pytest.approx(math.pi * geo.EARTH_RADIUS_M / 2, rel=1e-9)
    # Half the equator: π × 6,371,008.8 m (the IUGG mean radius).
    assert geo.distance_m(0, 0, 0, 180) == pytest.approx(20_015_114, abs=10)


def test_short_distance_metres():
    # 0.001° of latitude ≈ 111 m: the scale of the 200 m integrity check.
    assert geo.distance_m(LAT, LON, LAT + 0.001, LON) == pytest.approx(111.2, abs=0.2)
    assert geo.distance_m(LAT, LON, LAT, LON) == 0


def test_distance_symmetric_and_across_antimeridian():
    assert geo.distance_m(LAT, LON, 39.9, 116.4) == pytest.approx(geo.distance_m(39.9, 116.4, LAT, LON))
    assert geo.distance_m(0, 179.5, 0, -179.5) == pytest.approx(111_195, abs=5)


def test_liuzhou_to_beijing():
    # Liuzhou to Tiananmen is about 1,800 km as the crow flies.
    assert 1_700_000 < geo.distance_m(LAT, LON, 39.9042, 116.4074) < 1_900_000


def test_polygon_with_hole():
    assert geo.contains(WITH_HOLE, LAT + 0.03, LON + 0.03)  # in the ring
    assert not geo.contains(WITH_HOLE, LAT, LON)  # in the hole
    assert not geo.contains(WITH_HOLE, LAT + 0.2, LON)  # outside
    assert geo.contains({"type": "Polygon", "coordinates": [OUTER]}, LAT, LON)  # no hole: inside


def test_lat_lon_order():
    # A thin polygon that contains the point only when [lon, lat] order is honoured.
    strip = {"type": "Polygon", "coordinates": [_square(LAT, LON, 0.001)]}
    assert geo.contains(strip, LAT, LON)
    assert not geo.contains(strip, LON, LAT)


def test_concave_polygon():
    # An L shape: the notch in the upper right is outside.
    ring = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]
    shape = {"type": "Polygon", "coordinates": [ring]}
    assert geo.contains(shape, 0.5, 1.5)
    assert geo.contains(shape, 1.5, 0.5)
    assert not geo.contains(shape, 1.5, 1.5)


def test_multipolygon():
    far = (LAT + 0.5, LON + 0.5)
    multi = {"type": "MultiPolygon", "coordinates": [
        [OUTER, HOLE], [_square(*far, 0.01)]]}
    assert geo.contains(multi, LAT + 0.03, LON)  # first polygon's ring
    assert not geo.contains(multi, LAT, LON)  # first polygon's hole
    assert geo.contains(multi, *far)  # second polygon
    assert not geo.contains(multi, LAT + 0.25, LON + 0.25)  # between them


def test_multipolygon_hole_filled_by_another_part():
    island = _square(LAT, LON, 0.005)  # inside the hole of the first part
    multi = {"type": "MultiPolygon", "coordinates": [[OUTER, HOLE], [island]]}
    assert geo.contains(multi, LAT, LON)
    assert not geo.contains(multi, LAT + 0.008, LON)  # hole, outside the island


@pytest.mark.parametrize("geometry", [
    {"type": "Point", "coordinates": [LON, LAT]},
    {"type": "Polygon", "coordinates": []},
    {"type": "MultiPolygon", "coordinates": []},
    {},
])
def test_other_geometries_contain_nothing(geometry):
    assert geo.contains(geometry, LAT, LON) is False
