"""Authorization matrix generated from app.url_map, and a search for a covert reporter's identity.

Every /api rule and method must have a row in ROWS (or be one of the explicit SKIPPED public
endpoints): a new endpoint without a row fails test_every_api_route_has_a_row. Each row says how
to call the endpoint against a case of unit A (zfj 市执法局北部分局), who may call it (a positive
control, so a refusal is not just a malformed call), and whether it is case-scoped. Outsiders — the
liaison of unit B (jdb 阳和街道办事处) and an inspector who did not report the case — get 403 or
404 on scoped rows; on rows that are not about one case (the caller's own token, the catalog …)
they get an answer that says nothing about A's case. Without a token every row is 401.
"""
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import pytest
from server.extensions import db
from server.models import User
from server.models.types import utcnow
from server.services import auth

from ..helpers import YANGHE, case_body, declare, generated_jpeg

UNIT_A, UNIT_B = "zfj", "jdb"
UNIT_A_NAME = "市执法局北部分局"
REPORTER, REPORTER_NAME = "zhang.san", "张三暗访"
DENIED = {403, 404}


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Users are made per test; scrypt would dominate the run time and is not under test here."""
    from werkzeug.security import generate_password_hash
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda pw: generate_password_hash(pw, method="pbkdf2:sha256:1"))


# ---------------------------------------------------------------- the world each row runs in

_n = iter(range(1, 100_000))


def jpeg():
    n = next(_n)
    return generated_jpeg(size=(40 + n, 40), color=(n * 53 % 256, n * 29 % 256, 120))


class World:
    """Users of each kind, and a case of unit A reported by zhang.san with one received photo."""

    def __init__(self, app, client, covert=False):
        self.app, self.client = app, client
        with app.app_context():
            self.ids = {
                "office": auth.create_user(f"office-{uuid.uuid4().hex[:6]}", "office", "password-1").id,
                "liaison_a": auth.create_user(f"la-{uuid.uuid4().hex[:6]}", "liaison", "password-1",
                                              UNIT_A).id,
                "liaison_b": auth.create_user(f"lb-{uuid.uuid4().hex[:6]}", "liaison", "password-1",
                                              UNIT_B).id,
                "reporter": auth.create_user(REPORTER, "inspector", "password-1",
                                             display_name=REPORTER_NAME).id,
                "other_inspector": auth.create_user(f"in-{uuid.uuid4().hex[:6]}", "inspector",
                                                    "password-1").id,
            }
        self.photo_bytes = jpeg()
        decl = declare(self.photo_bytes)
        self.case_id = str(uuid.uuid4())
        self.description = f"背街小巷堆放杂物 {uuid.uuid4().hex[:10]}"
        self.body = case_body("a1-piling", [decl], covert=covert, description=self.description)
        r = client.put(f"/api/reports/{self.case_id}", json=self.body, headers=self.h("reporter"))
        assert r.status_code == 201, r.json
        self.number = r.json["number"]
        self.photo_id = decl["id"]
        self.sha = decl["sha256"]
        r = client.put(f"/api/reports/{self.case_id}/photos/{self.photo_id}", data=self.photo_bytes,
                       headers={**self.h("reporter"), "Content-Type": "image/jpeg"})
        assert r.status_code == 201, r.json
        assert self.office_view()["lead_unit"]["code"] == UNIT_A

    def h(self, who):
        """Fresh bearer headers for one of the users (fresh, so a row may revoke its token)."""
        if who == "anonymous":
            return {}
        with self.app.app_context():
            user = db.session.get(User, self.ids[who])
            raw, _ = auth.issue_token(user)
            db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    def office_view(self):
        r = self.client.get(f"/api/reports/{self.case_id}", headers=self.h("office"))
        assert r.status_code == 200, r.json
        return r.json

    def secrets(self, scoped=False):
        """Strings of A's case an outsider must not read in an answer. A scoped call itself names
        the case (and maybe the photo), so only what it did not send counts there."""
        told = [self.number, self.description]
        return told if scoped else told + [self.case_id, self.sha, self.photo_id]


def state(world):
    """What an outsider's call must not change."""
    case = world.office_view()
    units = world.client.get("/api/units", headers=world.h("office")).json
    return (case["status"], [e["kind"] for e in case["events"]],
            sorted((p["id"], p["received"]) for p in case["photos"]),
            case["due_at"], {u["code"]: u["webhook_url"] for u in units})


# ---------------------------------------------------------------- the rows

@dataclass
class Row:
    call: Callable          # (client, world, headers) → response
    ok: str                 # a caller for whom the call succeeds (the positive control)
    ok_status: tuple = (200,)
    scoped: bool = True     # about A's case (or A's unit): outsiders are refused
    outsider: dict = field(default_factory=dict)  # per-caller expected statuses overriding DENIED
    anonymous: tuple = (401,)


def _case(w):
    return f"/api/reports/{w.case_id}"


def _transition(c, w, h):
    return c.post(f"{_case(w)}/transitions", json={"id": str(uuid.uuid4()), "action": "accept"},
                  headers=h)


def _after_photo(c, w, h):
    return c.put(f"{_case(w)}/photos/{uuid.uuid4()}?role=after", data=jpeg(),
                 headers={**h, "Content-Type": "image/jpeg"})


def _before_photo_again(c, w, h):
    return c.put(f"{_case(w)}/photos/{w.photo_id}", data=w.photo_bytes,
                 headers={**h, "Content-Type": "image/jpeg"})


ROWS = {
    ("/api/auth/token", "DELETE"): Row(
        lambda c, w, h: c.delete("/api/auth/token", headers=h), ok="liaison_b", ok_status=(204,),
        scoped=False),
    ("/api/auth/me", "GET"): Row(
        lambda c, w, h: c.get("/api/auth/me", headers=h), ok="liaison_b", scoped=False),
    ("/api/catalog", "GET"): Row(
        lambda c, w, h: c.get("/api/catalog", headers=h), ok="liaison_b", scoped=False),
    ("/api/reports/<uuid:case_id>", "PUT"): Row(
        lambda c, w, h: c.put(_case(w), json=w.body, headers=h), ok="reporter",
        # Another inspector sending a case under the same client UUID is told of the clash (the
        # phone must pick a new id); the answer carries nothing of A's case.
        outsider={"liaison_b": {403}, "other_inspector": {409}}),
    ("/api/reports/<uuid:case_id>", "GET"): Row(
        lambda c, w, h: c.get(_case(w), headers=h), ok="liaison_a"),
    ("/api/reports", "GET"): Row(
        lambda c, w, h: c.get(f"/api/reports?unit={UNIT_A}&status=dispatched", headers=h),
        ok="liaison_b", scoped=False),
    ("/api/reports/<uuid:case_id>/photos/<uuid:photo_id>", "PUT"): Row(
        _after_photo, ok="liaison_a", ok_status=(201,)),
    ("/api/photos/<string:sha256>/<string:variant>", "GET"): Row(
        lambda c, w, h: c.get(f"/api/photos/{w.sha}/original", headers=h), ok="liaison_a"),
    ("/api/reports/<uuid:case_id>/transitions", "POST"): Row(_transition, ok="liaison_a"),
    ("/api/reports/<uuid:case_id>/nearby", "GET"): Row(
        lambda c, w, h: c.get(f"{_case(w)}/nearby", headers=h), ok="office"),
    ("/api/notifications", "GET"): Row(
        lambda c, w, h: c.get("/api/notifications", headers=h), ok="liaison_b", scoped=False),
    ("/api/notifications/seen", "POST"): Row(
        lambda c, w, h: c.post("/api/notifications/seen", headers=h), ok="liaison_b", scoped=False),
    ("/api/units", "GET"): Row(
        lambda c, w, h: c.get("/api/units", headers=h), ok="office"),
    ("/api/units/<string:code>/webhook", "PUT"): Row(
        lambda c, w, h: c.put(f"/api/units/{UNIT_A}/webhook",
                              json={"webhook_url": "https://hook.example/a"}, headers=h),
        ok="office"),
    ("/api/webhooks/deliveries", "GET"): Row(
        lambda c, w, h: c.get(f"/api/webhooks/deliveries?unit={UNIT_A}", headers=h), ok="office"),
    ("/api/evaluation", "GET"): Row(
        lambda c, w, h: c.get("/api/evaluation?from=2026-01-01&to=2026-12-31", headers=h), ok="office"),
    ("/api/exports/evaluation.xlsx", "GET"): Row(
        lambda c, w, h: c.get("/api/exports/evaluation.xlsx?from=2026-01-01&to=2026-12-31", headers=h),
        ok="office"),
    ("/api/exports/cases.<any(xlsx, csv, geojson):fmt>", "GET"): Row(
        lambda c, w, h: c.get(f"/api/exports/cases.csv?unit={UNIT_A}", headers=h), ok="office"),
    ("/api/exports/evidence.zip", "GET"): Row(
        lambda c, w, h: c.get(f"/api/exports/evidence.zip?unit={UNIT_A}", headers=h), ok="office"),
    ("/api/users", "GET"): Row(lambda c, w, h: c.get("/api/users", headers=h), ok="office"),
    ("/api/users", "POST"): Row(
        lambda c, w, h: c.post("/api/users", json={"username": f"new-{uuid.uuid4().hex[:6]}",
                                                    "role": "liaison", "unit": UNIT_A}, headers=h),
        ok="office", ok_status=(201,)),
    ("/api/users/<int:user_id>", "PATCH"): Row(
        lambda c, w, h: c.patch(f"/api/users/{w.ids['liaison_a']}", json={"display_name": "甲"}, headers=h),
        ok="office"),
    ("/api/users/<int:user_id>/revoke-tokens", "POST"): Row(
        lambda c, w, h: c.post(f"/api/users/{w.ids['other_inspector']}/revoke-tokens", headers=h),
        ok="office"),
    ("/api/exports/liaisons.xlsx", "GET"): Row(
        lambda c, w, h: c.get("/api/exports/liaisons.xlsx", headers=h), ok="office"),
    ("/api/catalog/categories/<string:code>", "PATCH"): Row(
        lambda c, w, h: c.patch("/api/catalog/categories/a1-piling", json={"auto_dispatch": True}, headers=h),
        ok="office"),
    ("/api/catalog/zones/<string:code>", "PUT"): Row(
        lambda c, w, h: c.put("/api/catalog/zones/z-matrix", json={
            "name": "测试区", "lead_unit": UNIT_A, "geometry": {"type": "Polygon", "coordinates": [
                [[109.0, 24.0], [109.1, 24.0], [109.1, 24.1], [109.0, 24.0]]]}}, headers=h), ok="office"),
    ("/api/audit", "GET"): Row(lambda c, w, h: c.get("/api/audit", headers=h), ok="office"),
}

# Open by design; each is asserted below so a skip cannot go stale or hide a new endpoint.
SKIPPED = {
    ("/api/openapi.json", "GET"): "the API description, public",
    ("/api/auth/token", "POST"): "sign-in: the way to get a token",
    ("/api/public/reports", "POST"): "the public complaint form (tests/api/test_public.py)",
    ("/api/public/reports/<string:number>", "GET"): "a complainant's status page, by receipt",
}
OUTSIDERS = ("liaison_b", "other_inspector")


def api_routes(app):
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                out.add((rule.rule, method))
    return out


def test_every_api_route_has_a_row(app):
    routes = api_routes(app)
    missing = sorted(routes - set(ROWS) - set(SKIPPED))
    assert not missing, f"/api routes without a row in ROWS: {missing}"
    stale = sorted((set(ROWS) | set(SKIPPED)) - routes)
    assert not stale, f"rows for routes that no longer exist: {stale}"
    assert not set(ROWS) & set(SKIPPED)


def test_skipped_endpoints_are_the_public_ones(app, client):
    assert set(SKIPPED) <= api_routes(app)
    w = World(app, client)
    r = client.get("/api/openapi.json")
    assert r.status_code == 200 and "paths" in r.json
    r = client.post("/api/auth/token", json={"username": REPORTER, "password": "wrong-password"})
    assert r.status_code == 401
    r = client.post("/api/auth/token", json={"username": REPORTER, "password": "password-1"})
    assert r.status_code == 200 and r.json["user"]["username"] == REPORTER
    # The status page needs the receipt; A's case (an inspector's) has none.
    r = client.get(f"/api/public/reports/{w.number}?receipt=guess")
    assert r.status_code == 404 and w.case_id not in r.text
    assert client.get(f"/api/public/reports/{w.number}").status_code == 422
    r = client.post("/api/public/reports", data={"category": "a1-piling", "lat": "x", "lon": "y"})
    assert r.status_code == 422


def _assert_no_trace(world, r, who, key):
    text = r.get_data(as_text=True) if r.mimetype != "image/jpeg" else ""
    for secret in world.secrets(ROWS[key].scoped):
        assert secret not in text, (key, who, secret, text[:500])


@pytest.mark.parametrize("key", list(ROWS), ids=lambda k: f"{k[1]} {k[0]}")
def test_matrix(app, client, key):
    row = ROWS[key]
    w = World(app, client)
    before = state(w)

    r = row.call(client, w, w.h("anonymous"))
    assert r.status_code in row.anonymous, (key, "anonymous", r.status_code, r.get_data(as_text=True))
    if r.status_code == 401:
        assert r.json["code"] == "unauthorized"
    _assert_no_trace(w, r, "anonymous", key)

    for who in OUTSIDERS:
        r = row.call(client, w, w.h(who))
        if row.scoped:
            expected = row.outsider.get(who, DENIED)
            assert r.status_code in expected, (key, who, r.status_code, r.get_data(as_text=True))
            assert set(r.json) == {"code", "message", "errors"}
        else:
            assert r.status_code < 400, (key, who, r.status_code, r.get_data(as_text=True))
        _assert_no_trace(w, r, who, key)
        if key == ("/api/notifications", "GET"):
            assert r.json["count"] == 0  # A's case is not counted for outsiders
    assert state(w) == before, f"{key}: an outsider's call changed A's case or units"

    r = row.call(client, w, w.h(row.ok))
    assert r.status_code in row.ok_status, (key, row.ok, r.status_code, r.get_data(as_text=True))


def test_list_filters_never_show_a_case_to_another_unit(app, client):
    w = World(app, client)
    h = w.h("liaison_b")
    since = (utcnow() - timedelta(days=1)).isoformat()
    for query in ("", f"unit={UNIT_A}", "status=dispatched", "category=a1-piling", "action=1",
                  "overdue=false", "overdue=true", "due_within=720", "order=due", {"since": since},
                  "limit=1"):
        r = client.get("/api/reports", query_string=query, headers=h)
        assert r.status_code == 200, (query, r.json)
        assert r.json["items"] == [], query
    r = client.get("/api/reports", headers=w.h("liaison_a"))
    assert [c["id"] for c in r.json["items"]] == [w.case_id]


def test_thumb_of_an_inspector_case_is_not_public(app, client):
    w = World(app, client)
    r = client.get(f"/api/photos/{w.sha}/thumb")
    assert r.status_code == 401
    for who in OUTSIDERS:
        assert client.get(f"/api/photos/{w.sha}/thumb", headers=w.h(who)).status_code == 404


# ---------------------------------------------------------------- covert cases

def _forbidden_in(world, text):
    """Every way the covert reporter could show up in an answer."""
    uid = world.ids["reporter"]
    found = [s for s in (REPORTER, REPORTER_NAME) if s in text]
    found += re.findall(r'"(?:reporter|actor|user|uploaded_by|created_by)"\s*:\s*\{[^{}]*"id"\s*:\s*%d\b'
                        % uid, text)
    found += re.findall(r'"(?:reporter_id|actor_id|user_id|uploaded_by_id)"\s*:\s*%d\b' % uid, text)
    return found


def _walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield path, k, v
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def _check_case_json(case, world):
    assert case["source"] == "office", case["source"]
    assert "reporter" not in case and "contact" not in case
    assert case.get("covert") is not True
    for e in case.get("events", []):
        assert e["actor"]["role"] != "inspector", e
        assert not {"id", "username", "display_name"} & set(e["actor"]), e


def test_covert_reporter_never_reaches_the_liaison(app, client):
    w = World(app, client, covert=True)
    uid = w.ids["reporter"]
    office_text = client.get(f"/api/reports/{w.case_id}", headers=w.h("office")).get_data(as_text=True)
    assert REPORTER in office_text and REPORTER_NAME in office_text  # the search can find it
    assert json.loads(office_text)["reporter"]["id"] == uid
    # A second (ordinary) case for zfj, so paging has a cursor to follow.
    other = str(uuid.uuid4())
    body = case_body("a1-piling", [declare(jpeg())], lat=YANGHE["lat"] + 0.01)
    assert client.put(f"/api/reports/{other}", json=body, headers=w.h("reporter")).status_code == 201

    lead = w.h("liaison_a")
    texts, cases = [], []

    def seen(r, expect=200):
        assert r.status_code == expect, (r.request.path, r.status_code, r.get_data(as_text=True)[:300])
        if r.mimetype == "application/json":
            texts.append((r.request.path, r.get_data(as_text=True)))
        else:
            texts.append((r.request.path, r.get_data().decode("utf-8", "replace")))
        return r

    cases.append(seen(client.get(f"/api/reports/{w.case_id}", headers=lead)).json)
    since = (utcnow() - timedelta(days=1)).isoformat()
    queries = ["", f"unit={UNIT_A}", "status=dispatched", "status=dispatched,accepted",
               "category=a1-piling", "action=1", "overdue=false", "overdue=true", "due_within=720",
               "order=due", {"since": since}, "limit=1"]
    for q in queries:
        page = seen(client.get("/api/reports", query_string=q, headers=lead)).json
        cases += page["items"]
        if page["next_cursor"]:
            nxt = seen(client.get("/api/reports", query_string=f"limit=1&cursor={page['next_cursor']}",
                                  headers=lead)).json
            cases += nxt["items"]
    seen(client.get("/api/notifications", headers=lead))
    seen(client.post("/api/notifications/seen", headers=lead))
    for variant in ("thumb", "medium", "original"):
        seen(client.get(f"/api/photos/{w.sha}/{variant}", headers=lead))
    seen(client.get("/api/catalog", headers=lead))
    seen(client.get("/api/auth/me", headers=lead))
    seen(client.get(f"/api/reports/{w.case_id}/nearby", headers=lead), 403)
    seen(client.get("/api/units", headers=lead), 403)

    cases.append(seen(client.post(f"/api/reports/{w.case_id}/transitions", headers=lead,
                                  json={"id": str(uuid.uuid4()), "action": "accept"})).json)
    pid = str(uuid.uuid4())
    seen(client.put(f"/api/reports/{w.case_id}/photos/{pid}?role=after", data=jpeg(),
                    headers={**lead, "Content-Type": "image/jpeg"}), 201)
    cases.append(seen(client.post(f"/api/reports/{w.case_id}/transitions", headers=lead,
                                  json={"id": str(uuid.uuid4()), "action": "resolve",
                                        "note": "已清理", "photos": [pid]})).json)
    seen(client.post(f"/api/reports/{w.case_id}/transitions", headers=lead,
                     json={"id": str(uuid.uuid4()), "action": "resolve", "note": "x",
                           "photos": [pid]}), 409)
    office = w.h("office")
    assert client.post(f"/api/reports/{w.case_id}/transitions", headers=office,
                       json={"id": str(uuid.uuid4()), "action": "return", "note": "返工"}).status_code == 200
    cases.append(seen(client.get(f"/api/reports/{w.case_id}", headers=lead)).json)
    seen(client.get("/api/notifications", headers=lead))

    for path, text in texts:
        assert not _forbidden_in(w, text), (path, _forbidden_in(w, text), text[:400])
        if text.lstrip().startswith("{"):
            for where, k, v in _walk(json.loads(text)):
                if k in ("reporter", "actor") and isinstance(v, dict):
                    assert v.get("id") != uid, (path, where)
    covert_views = [c for c in cases if c["id"] == w.case_id]
    assert len(covert_views) >= len(queries)
    for case in covert_views:
        _check_case_json(case, w)
    final = covert_views[-1]
    assert [e["kind"] for e in final["events"]] == ["create", "dispatch", "accept", "resolve", "return"]
    assert final["events"][0]["actor"] == {"role": "office"}
    # The ordinary case of the same inspector shows its source to the same liaison.
    plain = [c for c in cases if c["id"] == other]
    assert plain and all(c["source"] == "inspector" for c in plain)
