"""Public complaints (群众投诉): the form without sign-in, the rate limit, the status page."""
import io
import uuid

import pytest
from sqlalchemy import update

from server.extensions import db
from server.models import User

from ..helpers import YANGHE, generated_jpeg, put_case_with_photos, sample

PHOTO = "gps/DSCN0010.jpg"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Users are made per test; scrypt would dominate the run time and is not under test here."""
    from werkzeug.security import generate_password_hash
    from server.services import auth
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda pw: generate_password_hash(pw, method="pbkdf2:sha256:1"))


def form(photos=(PHOTO,), **overrides):
    data = {"category": "a1-piling", "description": "楼道口堆满纸箱", "lat": str(YANGHE["lat"]),
            "lon": str(YANGHE["lon"]), "address": "阳和街道 XX 路 12 号", "name": "李四",
            "phone": "13800000000"}
    data.update(overrides)
    files = []
    for p in photos:
        content = sample(p) if isinstance(p, str) else p
        files.append((io.BytesIO(content), "photo.jpg", "image/jpeg"))
    if files:
        data["photo"] = files
    return {k: v for k, v in data.items() if v is not None}


def post(client, data, addr="203.0.113.7"):
    return client.post("/api/public/reports", data=data, content_type="multipart/form-data",
                       environ_base={"REMOTE_ADDR": addr})


def status(client, number, receipt):
    return client.get(f"/api/public/reports/{number}", query_string={"receipt": receipt})


def office_case(client, office, number):
    """The office's full view of a case (the list leaves out the event history)."""
    items = client.get("/api/reports", headers=office).json["items"]
    found = [c for c in items if c["number"] == number]
    assert len(found) == 1, [c["number"] for c in items]
    return client.get(f"/api/reports/{found[0]['id']}", headers=office).json


def assert_error(r, status, code=None):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    assert set(r.json) == {"code", "message", "errors"}
    if code:
        assert r.json["code"] == code, r.json


def test_public_report_lands_in_submitted_with_its_photo(client, office, make_user):
    r = post(client, form())
    assert r.status_code == 201, r.json
    out = r.json
    assert set(out) == {"number", "receipt", "status_url"}
    assert out["status_url"] == f"/public#/status/{out['number']}/{out['receipt']}"
    assert len(out["receipt"]) >= 8

    case = office_case(client, office, out["number"])
    assert case["source"] == "public" and case["status"] == "submitted"
    assert case["category"] == "a1-piling" and case["lead_unit"]["code"] == "zfj"
    assert case["due_at"] is None
    assert case["description"] == "楼道口堆满纸箱"
    assert case["location"]["address"] == "阳和街道 XX 路 12 号"
    assert case["location"]["lat"] == pytest.approx(YANGHE["lat"])
    assert case["contact"] == {"name": "李四", "phone": "13800000000"}
    assert "reporter" not in case
    assert [(p["role"], p["received"]) for p in case["photos"]] == [("before", True)]
    assert case["missing_photos"] == []
    assert case["photos"][0]["exif"]["make"]  # the sample's EXIF was read
    thumb = client.get(case["photos"][0]["urls"]["thumb"], headers=office)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert [(e["kind"], e["actor"]["role"]) for e in case["events"]] == [("create", "public")]
    assert "dispatch" in case["allowed_actions"]

    # Not yet the lead unit's business: the office triages first.
    _, lead = make_user("liaison", unit="zfj")
    assert client.get(f"/api/reports/{case['id']}", headers=lead).status_code == 404
    # The complainant's contact stays with the office.
    r = client.post(f"/api/reports/{case['id']}/transitions", headers=office,
                    json={"id": str(uuid.uuid4()), "action": "dispatch", "unit": "zfj"})
    assert r.status_code == 200, r.json
    seen = client.get(f"/api/reports/{case['id']}", headers=lead).json
    assert "contact" not in seen and "李四" not in str(seen) and "13800000000" not in str(seen)


def test_several_photos_are_kept_in_order(client, office):
    r = post(client, form(photos=(PHOTO, "gps/DSCN0012.jpg")))
    assert r.status_code == 201, r.json
    case = office_case(client, office, r.json["number"])
    assert len(case["photos"]) == 2 and all(p["received"] for p in case["photos"])


def test_missing_photo_is_422(client, office):
    assert_error(post(client, form(photos=())), 422, "photo_required")
    assert client.get("/api/reports", headers=office).json["items"] == []


def test_unknown_category_is_422(client, office):
    r = post(client, form(category="no-such-thing"))
    assert_error(r, 422, "unknown_category")
    assert "category" in r.json["errors"]
    assert_error(post(client, form(category=None)), 422)
    assert client.get("/api/reports", headers=office).json["items"] == []


@pytest.mark.parametrize("field,value", [("lat", "NaN"), ("lat", "nan"), ("lat", "inf"),
                                         ("lat", "91"), ("lat", "-90.5"), ("lon", "180.01"),
                                         ("lon", "-Infinity"), ("lat", "北纬24度"), ("lat", None)])
def test_bad_coordinates_are_422(client, office, field, value):
    r = post(client, form(**{field: value}))
    assert_error(r, 422)
    assert field in r.json["errors"]
    assert client.get("/api/reports", headers=office).json["items"] == []


def test_other_fields_are_bounded(client):
    assert_error(post(client, form(description="脏" * 2001)), 422)
    assert_error(post(client, form(phone="1" * 31)), 422)
    assert_error(post(client, form(location_source="satellite")), 422)


@pytest.mark.parametrize("photos", [(b"%PDF-1.4 not a photo at all",), (PHOTO, b"not a photo either")],
                         ids=["only-junk", "good-then-junk"])
def test_a_file_that_is_not_a_photo_leaves_no_case(client, office, photos):
    """The complainant gets an error and no receipt, so nothing may be kept (they will resend)."""
    r = post(client, form(photos=photos))
    assert 400 <= r.status_code < 500, r.status_code
    assert r.json["code"] in ("unsupported_media_type", "invalid_photo", "photo_unreadable"), r.json
    items = client.get("/api/reports", headers=office).json["items"]
    assert items == [], f"a refused complaint left case {[c['number'] for c in items]} behind " \
                        f"with photos {[c['photos'] for c in items]}"


def test_too_many_photos_is_422(app, client):
    photos = [generated_jpeg(size=(32 + i, 32)) for i in range(app.config["PHOTOS_PER_CASE"] + 1)]
    assert_error(post(client, form(photos=photos)), 422)


def test_rate_limited_per_address(app, client, office):
    app.config["PUBLIC_REPORTS_PER_HOUR"] = 2
    small = generated_jpeg(size=(64, 48))
    for _ in range(2):
        r = post(client, form(photos=(small,)), addr="198.51.100.1")
        assert r.status_code == 201, r.json
    r = post(client, form(photos=(small,)), addr="198.51.100.1")
    assert_error(r, 429, "too_many_reports")
    assert r.headers["Retry-After"] == "3600"
    r = post(client, form(photos=(small,)), addr="198.51.100.2")
    assert r.status_code == 201, r.json
    assert len(client.get("/api/reports", headers=office).json["items"]) == 3
    assert post(client, form(photos=(small,)), addr="198.51.100.1").status_code == 429


def test_status_page_shows_progress(client):
    r = post(client, form())
    number, receipt = r.json["number"], r.json["receipt"]
    s = status(client, number, receipt)
    assert s.status_code == 200, s.json
    assert s.json["number"] == number
    assert s.json["status"] == "submitted" and s.json["status_label"] == "已受理，待分派"
    assert s.json["category"] == "乱堆乱放"
    assert s.json["lead_unit"] is None and s.json["due_at"] is None
    assert [(h["status"], h["label"]) for h in s.json["history"]] == [("submitted", "已受理，待分派")]
    assert s.json["received_at"]


def name_staff(app, user_id, display):
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(display_name=display))
        db.session.commit()


def test_status_page_follows_the_case_without_staff_names(app, client, make_user):
    office_id, office = make_user("office", username="wang.office")
    lead_id, lead = make_user("liaison", unit="zfj", username="zhao.liaison")
    name_staff(app, office_id, "王主任")
    name_staff(app, lead_id, "赵联络员")
    r = post(client, form())
    number, receipt = r.json["number"], r.json["receipt"]
    case = office_case(client, office, number)

    def act(headers, action, **body):
        r = client.post(f"/api/reports/{case['id']}/transitions", headers=headers,
                        json={"id": str(uuid.uuid4()), "action": action, **body})
        assert r.status_code == 200, r.json
        return r.json

    act(office, "dispatch", unit="zfj")
    s = status(client, number, receipt).json
    assert s["status"] == "dispatched" and s["status_label"] == "已派遣至责任单位"
    assert s["lead_unit"] == "市执法局北部分局" and s["due_at"] is not None

    act(lead, "accept")
    r = status(client, number, receipt)
    s = r.json
    assert s["status"] == "accepted" and s["status_label"] == "责任单位处置中"
    assert [h["status"] for h in s["history"]] == ["submitted", "dispatched", "accepted"]
    assert [h["label"] for h in s["history"]] == ["已受理，待分派", "已派遣至责任单位", "责任单位处置中"]
    times = [h["at"] for h in s["history"]]
    assert times == sorted(times)
    assert set(s) == {"number", "status", "status_label", "category", "received_at", "lead_unit",
                      "due_at", "history"}
    text = r.get_data(as_text=True)
    for staff in ("wang.office", "王主任", "zhao.liaison", "赵联络员", "office", "liaison"):
        assert staff not in text, staff
    # The complainant's own contact is not echoed either (anyone with the receipt reads this page).
    assert "李四" not in text and "13800000000" not in text


def test_wrong_receipt_is_404(client):
    r = post(client, form())
    number, receipt = r.json["number"], r.json["receipt"]
    other = post(client, form(photos=("gps/DSCN0012.jpg",))).json
    assert_error(status(client, number, receipt + "x"), 404, "not_found")
    assert_error(status(client, number, receipt.upper() if receipt.upper() != receipt else "Z" * 8), 404)
    assert_error(status(client, number, other["receipt"]), 404)  # another case's receipt
    assert_error(status(client, "2099-999999", receipt), 404)
    assert_error(client.get(f"/api/public/reports/{number}"), 422)  # no receipt at all
    wrong = status(client, number, "nope")
    assert wrong.json == status(client, "2099-999999", "nope").json  # no hint the number exists


def test_inspector_case_has_no_status_page(client, inspector):
    _, case, _ = put_case_with_photos(client, inspector, [generated_jpeg()])
    assert_error(status(client, case["number"], "anything"), 404)


def test_public_page_is_served(client):
    r = client.get("/public")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "群众投诉" in html and "/js/public.js" in html
    assert client.get("/js/public.js").status_code == 200
