"""Open311 GeoReport v2 at /open311/v2/: services, requests in and out, signed media URLs."""
import io
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.models import Case, Category
from server.services import auth

from ..helpers import YANGHE, case_body, declare, put_case_with_photos, sample

BASE = "/open311/v2"
INSPECTOR_NAME = "zhang.san"  # the `inspector` fixture's username
CJK = re.compile(r"[\u4e00-\u9fff]")
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                  "lat", "long", "media_url"}


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Users are made per test; scrypt would dominate the run time and is not under test here."""
    from werkzeug.security import generate_password_hash
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda pw: generate_password_hash(pw, method="pbkdf2:sha256:1"))


# --- helpers ---------------------------------------------------------------------------------

@pytest.fixture
def api_key(app):
    with app.app_context():
        return auth.create_api_key(f"client-{uuid.uuid4().hex[:6]}")


def xml_root(r):
    assert r.mimetype in ("text/xml", "application/xml"), r.mimetype
    return ET.fromstring(r.data)


def assert_xml_error(r, status):
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    root = xml_root(r)
    assert root.tag == "errors"
    errors = root.findall("error")
    assert len(errors) == 1
    assert errors[0].findtext("code") == str(status)
    assert (errors[0].findtext("description") or "").strip()


def assert_json_error(r, status):
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    body = r.get_json()
    assert set(body) == {"code", "message", "errors"}, body
    return body


def post_request(client, key, fmt="json", **form):
    data = {"service_code": "a1-piling", "lat": str(YANGHE["lat"]), "long": str(YANGHE["lon"]),
            "description": "路边堆放建筑材料", **form}
    if key is not None:
        data["api_key"] = key
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"{BASE}/requests.{fmt}", data=data)


def create_open311(client, key, **form):
    r = post_request(client, key, **form)
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert isinstance(body, list) and len(body) == 1
    return body[0]["service_request_id"]


def list_ids(client, fmt="json", **params):
    r = client.get(f"{BASE}/requests.{fmt}", query_string=params)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    if fmt == "json":
        return [item["service_request_id"] for item in r.get_json()]
    root = xml_root(r)
    assert root.tag == "service_requests"
    return [node.findtext("service_request_id") for node in root]


def office_case(client, office, number):
    """The case behind a request number, as the office sees it in the API."""
    r = client.get("/api/reports", query_string={"limit": 200}, headers=office)
    assert r.status_code == 200
    matches = [c for c in r.get_json()["items"] if c["number"] == number]
    assert len(matches) == 1, number
    return matches[0]


def inspector_case(client, headers, category="a1-piling", with_photo=True, **extra):
    """An inspector case (auto-dispatched for a1-* categories); returns its JSON."""
    photos = [sample("gps/DSCN0010.jpg")] if with_photo else []
    if photos:
        return put_case_with_photos(client, headers, photos, category=category, **extra)[1]
    d = declare(sample("gps/DSCN0012.jpg"))  # declared but never uploaded
    case_id = str(uuid.uuid4())
    r = client.put(f"/api/reports/{case_id}", json=case_body(category, [d], **extra),
                   headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def aware(text):
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert value.tzinfo is not None, text
    return value


# --- services --------------------------------------------------------------------------------

def test_services_json_lists_active_categories(client, app):
    r = client.get(f"{BASE}/services.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    services = r.get_json()
    with app.app_context():
        cats = db.session.execute(select(Category).where(Category.active.is_(True))).scalars().all()
        expected = {c.code: (c.name_zh, c.action.name_zh) for c in cats}
    assert len(expected) > 10
    assert {s["service_code"] for s in services} == set(expected)
    assert len(services) == len(expected)
    for s in services:
        name, group = expected[s["service_code"]]
        assert s["service_name"] == name and CJK.search(s["service_name"])
        assert s["group"] == group and CJK.search(s["group"])
        assert s["metadata"] is False
        assert s["type"] in ("realtime", "batch", "blackbox")
    piling = next(s for s in services if s["service_code"] == "a1-piling")
    assert piling["service_name"] == "乱堆乱放"
    assert piling["group"] == "市容环境卫生专项整治行动"


def test_services_xml_matches_json(client):
    services = client.get(f"{BASE}/services.json").get_json()
    r = client.get(f"{BASE}/services.xml")
    assert r.status_code == 200
    root = xml_root(r)
    assert root.tag == "services"
    assert len(root) == len(services)
    assert {child.tag for child in root} == {"service"}
    by_code = {s["service_code"]: s for s in services}
    for node in root:
        s = by_code[node.findtext("service_code")]
        assert node.findtext("service_name") == s["service_name"]
        assert node.findtext("group") == s["group"]
        assert node.findtext("metadata") == "false"
        assert node.findtext("type") == s["type"]


def test_service_definition_json_and_xml(client):
    r = client.get(f"{BASE}/services/a1-piling.json")
    assert r.status_code == 200
    body = r.get_json()
    assert body["service_code"] == "a1-piling"
    assert body["attributes"] == []

    r = client.get(f"{BASE}/services/a1-piling.xml")
    assert r.status_code == 200
    root = xml_root(r)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "a1-piling"
    attributes = root.find("attributes")
    assert attributes is not None and len(attributes) == 0


def test_unknown_service_is_404(client):
    assert_json_error(client.get(f"{BASE}/services/no-such-thing.json"), 404)
    assert_xml_error(client.get(f"{BASE}/services/no-such-thing.xml"), 404)


def test_unknown_format_is_404(client):
    assert client.get(f"{BASE}/services.html").status_code == 404


# --- POST requests ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", [None, "", "x311_not-a-real-key"])
def test_post_without_valid_key_is_403(client, office, key):
    assert_json_error(post_request(client, key), 403)
    assert_xml_error(post_request(client, key, fmt="xml"), 403)
    r = client.get("/api/reports", headers=office)
    assert r.get_json()["items"] == []


def test_post_with_revoked_key_is_403(client, app, api_key):
    from server.models import ApiKey
    from server.models.types import utcnow
    with app.app_context():
        for key in db.session.execute(select(ApiKey)).scalars():
            key.revoked_at = utcnow()
        db.session.commit()
    assert_json_error(post_request(client, api_key), 403)


def test_post_creates_submitted_open311_case(client, office, api_key):
    number = create_open311(client, api_key, description="人行道上堆满纸箱", address_string="阳和大道1号",
                            email="citizen@example.org", first_name="李")
    r = client.get("/api/reports", query_string={"status": "submitted"}, headers=office)
    assert r.status_code == 200
    items = [c for c in r.get_json()["items"] if c["number"] == number]
    assert len(items) == 1
    listed = items[0]
    r = client.get(f"/api/reports/{listed['id']}", headers=office)
    assert r.status_code == 200
    case = r.get_json()
    assert case["status"] == "submitted"
    assert case["source"] == "open311"
    assert case["category"] == "a1-piling"
    assert case["description"] == "人行道上堆满纸箱"
    assert case["location"]["lat"] == pytest.approx(YANGHE["lat"])
    assert case["location"]["lon"] == pytest.approx(YANGHE["lon"])
    assert case["location"]["address"] == "阳和大道1号"
    assert case["due_at"] is None
    assert case["contact"]["email"] == "citizen@example.org"


def test_post_xml_returns_service_requests(client, api_key):
    r = post_request(client, api_key, fmt="xml")
    assert r.status_code == 201
    root = xml_root(r)
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 1
    number = requests[0].findtext("service_request_id")
    assert number and re.fullmatch(r"\d{4}-\d{6}", number)
    assert number in list_ids(client)


def test_post_with_key_from_cli(client, runner):
    result = runner.invoke(args=["apikeys", "add", "citizen-app"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1].strip()
    assert raw.startswith("x311_")
    number = create_open311(client, raw)
    assert number in list_ids(client)
    # The same name again is refused, and does not print a key.
    again = runner.invoke(args=["apikeys", "add", "citizen-app"])
    assert again.exit_code != 0


def test_post_address_only_is_accepted(client, office, api_key):
    number = create_open311(client, api_key, lat=None, long=None, address_string="阳和街道办事处门口")
    case = office_case(client, office, number)
    assert case["location"]["lat"] is None and case["location"]["address"] == "阳和街道办事处门口"


@pytest.mark.parametrize("form", [
    {"service_code": None},
    {"service_code": ""},
    {"service_code": "no-such-service"},
    {"lat": None, "long": None},
    {"long": None},
    {"lat": "", "long": ""},
    {"lat": "nan"},
    {"lat": "NaN"},
    {"long": "nan"},
    {"lat": "inf"},
    {"lat": "91"},
    {"lat": "-90.5"},
    {"long": "180.01"},
    {"long": "-181"},
    {"lat": "north"},
], ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()))
def test_post_bad_input_is_400_and_creates_nothing(client, office, api_key, form):
    r = post_request(client, api_key, **form)
    assert_json_error(r, 400)
    assert_xml_error(post_request(client, api_key, fmt="xml", **form), 400)
    assert client.get("/api/reports", headers=office).get_json()["items"] == []


# --- GET requests: scope ---------------------------------------------------------------------

def test_scope_without_and_with_key(client, inspector, api_key):
    public = create_open311(client, api_key)
    normal = inspector_case(client, inspector)
    covert = inspector_case(client, inspector, covert=True)
    assert covert["covert"] is True

    without_key = list_ids(client)
    assert public in without_key
    assert normal["number"] not in without_key
    assert covert["number"] not in without_key

    with_key = list_ids(client, api_key=api_key)
    assert public in with_key
    assert normal["number"] in with_key
    assert covert["number"] not in with_key
    assert list_ids(client, "xml", api_key=api_key) == with_key

    # One by one: the same scopes.
    r = client.get(f"{BASE}/requests/{normal['number']}.json")
    assert_json_error(r, 404)
    r = client.get(f"{BASE}/requests/{normal['number']}.json", query_string={"api_key": api_key})
    assert r.status_code == 200 and r.get_json()[0]["service_request_id"] == normal["number"]
    for key in (None, api_key):
        params = {"api_key": key} if key else {}
        assert_json_error(client.get(f"{BASE}/requests/{covert['number']}.json",
                                     query_string=params), 404)
        assert_xml_error(client.get(f"{BASE}/requests/{covert['number']}.xml",
                                    query_string=params), 404)
        ids = list_ids(client, service_request_id=f"{covert['number']},{public}", **params)
        assert ids == [public]


def test_get_with_invalid_key_is_403(client):
    r = client.get(f"{BASE}/requests.json", query_string={"api_key": "x311_nope"})
    assert_json_error(r, 403)
    r = client.get(f"{BASE}/requests.xml", query_string={"api_key": "x311_nope"})
    assert_xml_error(r, 403)


def test_no_output_names_the_inspector(client, inspector, api_key):
    inspector_case(client, inspector)
    covert = inspector_case(client, inspector, covert=True)
    normal = inspector_case(client, inspector, category="a1-other", with_photo=False)
    number = create_open311(client, api_key)
    keyed = {"api_key": api_key}
    responses = [
        client.get(f"{BASE}/services.json"), client.get(f"{BASE}/services.xml"),
        client.get(f"{BASE}/services/a1-piling.json"), client.get(f"{BASE}/services/a1-piling.xml"),
        post_request(client, api_key), post_request(client, api_key, fmt="xml"),
    ]
    for fmt in ("json", "xml"):
        for params in ({}, keyed):
            responses.append(client.get(f"{BASE}/requests.{fmt}", query_string=params))
            for n in (number, normal["number"], covert["number"]):
                responses.append(client.get(f"{BASE}/requests/{n}.{fmt}", query_string=params))
    listed = client.get(f"{BASE}/requests.json", query_string=keyed).get_json()
    assert normal["number"] in [item["service_request_id"] for item in listed]
    for item in listed:
        if item["media_url"]:
            responses.append(client.get(item["media_url"]))
    assert len(responses) > 20
    for r in responses:
        assert r.status_code in (200, 201, 404), r.request.path
        text = r.get_data().decode("utf-8", errors="replace")
        assert INSPECTOR_NAME not in text, (r.request.path, text[:300])


# --- GET requests: content and filters --------------------------------------------------------

def test_request_view_of_inspector_case(client, inspector, api_key):
    case = inspector_case(client, inspector)
    assert case["status"] == "dispatched" and case["due_at"]
    r = client.get(f"{BASE}/requests/{case['number']}.json", query_string={"api_key": api_key})
    assert r.status_code == 200
    body = r.get_json()
    assert isinstance(body, list) and len(body) == 1
    item = body[0]
    assert REQUEST_FIELDS <= set(item)
    assert item["service_request_id"] == case["number"]
    assert item["status"] == "open"
    assert item["service_code"] == "a1-piling" and item["service_name"] == "乱堆乱放"
    assert item["agency_responsible"] == case["lead_unit"]["name"] == "市执法局北部分局"
    assert item["description"] == case["description"]
    assert item["lat"] == pytest.approx(case["location"]["lat"])
    assert item["long"] == pytest.approx(case["location"]["lon"])
    assert aware(item["expected_datetime"]) == aware(case["due_at"])
    assert aware(item["requested_datetime"]) == aware(case["received_at"])
    assert aware(item["updated_datetime"]) >= aware(item["requested_datetime"])

    r = client.get(f"{BASE}/requests/{case['number']}.xml", query_string={"api_key": api_key})
    assert r.status_code == 200
    root = xml_root(r)
    assert root.tag == "service_requests"
    nodes = root.findall("request")
    assert len(nodes) == 1
    node = nodes[0]
    assert node.findtext("service_request_id") == case["number"]
    assert node.findtext("agency_responsible") == "市执法局北部分局"
    assert aware(node.findtext("expected_datetime")) == aware(case["due_at"])
    assert float(node.findtext("lat")) == pytest.approx(case["location"]["lat"])
    assert node.findtext("media_url") == item["media_url"]


def test_request_view_of_submitted_open311_case(client, office, api_key):
    number = create_open311(client, api_key, service_code="a2-garbage")
    case = office_case(client, office, number)
    r = client.get(f"{BASE}/requests/{number}.json")
    assert r.status_code == 200
    item = r.get_json()[0]
    assert item["status"] == "open"
    assert item["service_code"] == "a2-garbage"
    assert item["agency_responsible"] == case["lead_unit"]["name"]
    assert CJK.search(item["agency_responsible"])
    assert item["expected_datetime"] is None
    assert item["media_url"] is None
    node = xml_root(client.get(f"{BASE}/requests/{number}.xml")).find("request")
    assert node.find("expected_datetime") is not None
    assert not (node.findtext("expected_datetime") or "").strip()


def test_unknown_request_is_404(client):
    assert_json_error(client.get(f"{BASE}/requests/2099-999999.json"), 404)
    assert_xml_error(client.get(f"{BASE}/requests/2099-999999.xml"), 404)


def test_filter_by_service_code(client, api_key):
    piling = create_open311(client, api_key, service_code="a1-piling")
    garbage = create_open311(client, api_key, service_code="a2-garbage")
    vending = create_open311(client, api_key, service_code="a1-vending")
    assert set(list_ids(client, service_code="a2-garbage")) == {garbage}
    assert set(list_ids(client, service_code="a1-piling,a1-vending")) == {piling, vending}
    assert list_ids(client, service_code="a4-gate") == []
    assert set(list_ids(client, "xml", service_code="a2-garbage")) == {garbage}


def test_filter_by_status(client, app, api_key):
    open_one = create_open311(client, api_key)
    closed_one = create_open311(client, api_key)
    rejected_one = create_open311(client, api_key)
    with app.app_context():
        for number, status in ((closed_one, "closed"), (rejected_one, "rejected")):
            case = db.session.execute(select(Case).where(Case.number == number)).scalar_one()
            case.status = status
        db.session.commit()
    assert set(list_ids(client, status="open")) == {open_one}
    assert set(list_ids(client, status="closed")) == {closed_one, rejected_one}
    assert set(list_ids(client, status="open,closed")) == {open_one, closed_one, rejected_one}
    assert set(list_ids(client)) == {open_one, closed_one, rejected_one}
    items = {i["service_request_id"]: i for i in client.get(f"{BASE}/requests.json").get_json()}
    assert items[closed_one]["status"] == "closed" and items[open_one]["status"] == "open"
    assert_json_error(client.get(f"{BASE}/requests.json", query_string={"status": "pending"}), 400)


def test_filter_by_dates(client, api_key):
    number = create_open311(client, api_key)
    now = datetime.now(timezone.utc)
    cst = timezone(timedelta(hours=8))

    def ids(start, end):
        params = {}
        if start is not None:
            params["start_date"] = start.isoformat()
        if end is not None:
            params["end_date"] = end.isoformat()
        return list_ids(client, **params)

    assert ids(now - timedelta(hours=1), now + timedelta(hours=1)) == [number]
    # The same window written in China Standard Time.
    assert ids((now - timedelta(hours=1)).astimezone(cst),
               (now + timedelta(hours=1)).astimezone(cst)) == [number]
    assert ids(now + timedelta(hours=1), now + timedelta(hours=2)) == []
    assert ids((now - timedelta(days=2)).astimezone(cst), (now - timedelta(days=1)).astimezone(cst)) == []
    assert ids(now - timedelta(minutes=10), None) == [number]
    assert ids(None, now - timedelta(minutes=10)) == []
    # Z suffix as Open311 clients send it.
    r = client.get(f"{BASE}/requests.json", query_string={
        "start_date": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert [i["service_request_id"] for i in r.get_json()] == [number]
    for bad in ("yesterday", "2026-01-01T00:00:00"):
        assert_json_error(client.get(f"{BASE}/requests.json", query_string={"start_date": bad}), 400)


def test_filter_by_request_ids(client, api_key):
    a = create_open311(client, api_key)
    b = create_open311(client, api_key)
    c = create_open311(client, api_key)
    assert set(list_ids(client, service_request_id=f"{a},{c}")) == {a, c}
    assert list_ids(client, service_request_id=b) == [b]
    assert list_ids(client, service_request_id="2099-999999") == []
    assert set(list_ids(client, "xml", service_request_id=f"{a},{b}")) == {a, b}


def test_list_is_newest_first(client, api_key):
    numbers = [create_open311(client, api_key) for _ in range(3)]
    assert list_ids(client) == list(reversed(numbers))


# --- media ---------------------------------------------------------------------------------

def _with_query(url, **changes):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    query = {k: v for k, v in query.items() if v is not None}
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_media_url_serves_thumbnail_without_token(client, app, inspector, api_key):
    case = inspector_case(client, inspector)
    sha = case["photos"][0]["sha256"]
    item = client.get(f"{BASE}/requests/{case['number']}.json",
                      query_string={"api_key": api_key}).get_json()[0]
    url = item["media_url"]
    assert url and url.startswith("http")
    assert sha in url and "sig=" in url

    r = client.get(url)  # no Authorization header
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == "image/jpeg"
    thumb = Image.open(io.BytesIO(r.data))
    assert thumb.format == "JPEG"
    assert max(thumb.size) <= app.config["THUMB_PX"]
    assert b"Exif\x00\x00" not in r.data  # no GPS or device data passed on
    same = client.get(f"/api/photos/{sha}/thumb", headers=inspector)
    assert same.status_code == 200 and same.data == r.data
    # The original and the medium stay behind sign-in.
    assert client.get(f"/api/photos/{sha}/original").status_code == 401


def test_media_url_with_tampered_signature_is_404(client, inspector, api_key):
    case = inspector_case(client, inspector)
    url = client.get(f"{BASE}/requests/{case['number']}.json",
                     query_string={"api_key": api_key}).get_json()[0]["media_url"]
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    for bad in (_with_query(url, sig=flipped), _with_query(url, sig=sig[:-1]),
                _with_query(url, sig=None), _with_query(url, sig=sig.upper())):
        assert client.get(bad).status_code == 404, bad
    # A valid signature for one photo does not open another.
    other_sha = "0" * 64
    path = urlsplit(url).path.replace(case["photos"][0]["sha256"], other_sha)
    assert client.get(f"{path}?sig={sig}").status_code == 404
    assert client.get(url).status_code == 200


def test_media_url_is_null_until_photo_received(client, inspector, api_key):
    case = inspector_case(client, inspector, category="a1-other", with_photo=False)
    assert case["missing_photos"]
    item = client.get(f"{BASE}/requests/{case['number']}.json",
                      query_string={"api_key": api_key}).get_json()[0]
    assert item["media_url"] is None
