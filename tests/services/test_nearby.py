"""Cases near a point: open duplicates of the same category within 100 m (nearest first), and the
recurrence flag for a new case within 30 m of a same-category case closed in the last 90 days.

Neighbours are placed due north or east of the first case, so their distances are known to the
metre; statuses and closing times (`updated_at`) are set directly in the database.
"""
import io
import math
import uuid
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from server.extensions import db
from server.models import Event, User
from server.models.types import utcnow
from server.schemas import CaseIn
from server.services import auth, geo, nearby, photos, sync

from ..helpers import YANGHE, case_body, declare, generated_jpeg

M_PER_DEG_LAT = geo.EARTH_RADIUS_M * math.pi / 180


def north(metres):
    return {"lat": YANGHE["lat"] + metres / M_PER_DEG_LAT, "lon": YANGHE["lon"]}


def east(metres):
    return {"lat": YANGHE["lat"],
            "lon": YANGHE["lon"] + metres / (M_PER_DEG_LAT * math.cos(math.radians(YANGHE["lat"])))}


@pytest.fixture
def reporter(app_ctx, make_user, monkeypatch):
    # Never signs in; a cheap hash instead of scrypt.
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"))
    return db.session.get(User, make_user("inspector")[0])


def close(case, days_ago):
    """Close the case as the office's verification would, `days_ago` days ago."""
    at = utcnow() - timedelta(days=days_ago)
    case.status, case.updated_at = "closed", at
    db.session.add(Event(case_pk=case.pk, kind="verify", actor_role="office", from_status="resolved",
                         to_status="closed", at=at))


def new_case(user, category="a1-piling", where=None, status=None, closed_days_ago=None):
    """A case created through sync.upsert_case at `where` (default: YANGHE), then put in `status`."""
    where = where or north(0)
    data = CaseIn().load(case_body(category, [declare(generated_jpeg(size=(64, 48)))], **where))
    case, _ = sync.upsert_case(user, uuid.uuid4(), data)
    if status:
        case.status = status
    if closed_days_ago is not None:
        close(case, closed_days_ago)
    db.session.commit()
    return case


def test_distances_of_the_placement_helpers():
    for place, metres in [(north(80), 80), (east(90), 90), (north(-40), 40)]:
        assert geo.distance_m(YANGHE["lat"], YANGHE["lon"], place["lat"], place["lon"]) == \
            pytest.approx(metres, abs=0.01)


def test_open_duplicates_within_100m_nearest_first(reporter):
    case = new_case(reporter)
    near = {
        "80m_north": new_case(reporter, where=north(80)),
        "40m_south": new_case(reporter, where=north(-40), status="accepted"),
        "60m_submitted": new_case(reporter, where=east(60), status="submitted"),
        "90m_east_resolved": new_case(reporter, where=east(90), status="resolved"),
        "99m": new_case(reporter, where=north(-99)),
    }
    for place, status in [(north(150), None), (east(150), None), (north(101), None),
                          (north(20), "closed"), (north(10), "rejected")]:
        new_case(reporter, where=place, status=status)                 # too far, or not open
    new_case(reporter, "a2-garbage", where=north(10))                  # another category
    found = nearby.open_duplicates(case)
    assert [(other.pk, d) for other, d in found] == [
        (near["40m_south"].pk, 40), (near["60m_submitted"].pk, 60), (near["80m_north"].pk, 80),
        (near["90m_east_resolved"].pk, 90), (near["99m"].pk, 99)]
    assert case.pk not in {other.pk for other, _ in found}


def test_open_duplicates_of_a_case_without_location(reporter):
    case = new_case(reporter)
    new_case(reporter, where=north(10))
    case.lat = case.lon = None
    assert nearby.open_duplicates(case) == []
    assert nearby.recurrence_flags(case) == []


def test_recurrence_flags(reporter):
    hit = new_case(reporter, where=north(20), closed_days_ago=10)
    hit_old = new_case(reporter, where=east(25), closed_days_ago=89)
    new_case(reporter, where=north(40), closed_days_ago=5)             # too far
    new_case(reporter, where=north(10), closed_days_ago=100)           # too long ago
    new_case(reporter, where=north(5), status="accepted")              # still open
    new_case(reporter, where=north(-5), status="rejected")             # never fixed
    new_case(reporter, "a2-garbage", where=north(5), closed_days_ago=3)  # another category
    case = new_case(reporter)
    flags = nearby.recurrence_flags(case)
    assert [(f["code"], f["case"], f["distance_m"]) for f in flags] == [
        ("recurrence", hit.number, 20), ("recurrence", hit_old.number, 25)]
    assert hit.number in flags[0]["message"]
    # sync.upsert_case stored the same flags on the new case.
    assert case.flags == flags


def test_new_case_without_a_recent_fix_nearby_has_no_flag(reporter):
    new_case(reporter, where=north(10), closed_days_ago=120)
    new_case(reporter, where=north(45), closed_days_ago=1)
    assert new_case(reporter).flags == []


def test_late_photo_on_an_old_closed_case_is_not_a_recent_fix(reporter):
    """The 90 days count from the closing; a before-photo that arrives later (a phone long offline)
    does not close the case again."""
    shot = generated_jpeg(size=(64, 48), color=(9, 99, 9))
    decl = declare(shot)
    data = CaseIn().load(case_body("a1-piling", [decl], **north(10)))
    old, _ = sync.upsert_case(reporter, uuid.uuid4(), data)
    close(old, 120)
    db.session.commit()
    photos.ingest_photo(reporter, old.id, uuid.UUID(decl["id"]), io.BytesIO(shot), len(shot), "image/jpeg")
    assert new_case(reporter).flags == []
