"""Cases near a point: duplicate suggestions for triage and recurrence of a closed problem."""
import math
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import OPEN_STATUSES, Case, Event
from ..models.types import utcnow
from . import geo

DUPLICATE_RADIUS_M = 100
RECURRENCE_RADIUS_M = 30
RECURRENCE_DAYS = 90


def _box(lat, lon, radius_m):
    """A lat/lon box around the point, so the database narrows the search before the exact distance."""
    dlat = radius_m / 111_000
    dlon = radius_m / (111_000 * max(math.cos(math.radians(lat)), 0.01))
    return (Case.lat.between(lat - dlat, lat + dlat), Case.lon.between(lon - dlon, lon + dlon))


def _within(query, case, radius_m):
    rows = db.session.execute(query.where(*_box(case.lat, case.lon, radius_m))).scalars().all()
    found = []
    for other in rows:
        d = geo.distance_m(case.lat, case.lon, other.lat, other.lon)
        if d <= radius_m and other.pk != case.pk:
            found.append((other, round(d)))
    return sorted(found, key=lambda pair: pair[1])


def open_duplicates(case):
    """Open cases of the same category within 100 m: [(case, metres)]."""
    if case.lat is None:
        return []
    q = select(Case).where(Case.category_id == case.category_id, Case.status.in_(OPEN_STATUSES))
    return _within(q, case, DUPLICATE_RADIUS_M)


def recurrence_flags(case):
    """A flag for each case of the same category closed at this spot in the last 90 days."""
    if case.lat is None:
        return []
    since = utcnow() - timedelta(days=RECURRENCE_DAYS)
    # Closed when the office verified it; updated_at also moves for late photos and is not that time.
    closed_recently = select(Event.case_pk).where(Event.kind == "verify", Event.at >= since)
    q = select(Case).where(Case.category_id == case.category_id, Case.status == "closed",
                           Case.pk.in_(closed_recently))
    return [{"code": "recurrence", "case": other.number, "distance_m": d,
             "message": f"同一地点 {d} 米内 {RECURRENCE_DAYS} 天内已结案过同类问题（{other.number}）"}
            for other, d in _within(q, case, RECURRENCE_RADIUS_M)]
