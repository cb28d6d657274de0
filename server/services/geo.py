"""Small geometry on WGS-84 coordinates: distances and point-in-polygon for routing zones."""
import math

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _in_ring(lon, lat, ring):
    """Even-odd ray casting against one linear ring of [lon, lat] positions."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _in_polygon(lon, lat, rings):
    """Inside the outer ring and outside every hole."""
    if not rings or not _in_ring(lon, lat, rings[0]):
        return False
    return not any(_in_ring(lon, lat, hole) for hole in rings[1:])


def contains(geometry, lat, lon):
    """True when a GeoJSON Polygon or MultiPolygon contains the point."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return _in_polygon(lon, lat, geometry["coordinates"])
    if kind == "MultiPolygon":
        return any(_in_polygon(lon, lat, poly) for poly in geometry["coordinates"])
    return False
