"""Administration API: who may manage whom, password resets and lost phones, catalog edits with
an audit trail and a version bump, and the liaison roster."""
import io

import pytest
from openpyxl import load_workbook

POLYGON = {"type": "Polygon", "coordinates": [[[109.48, 24.36], [109.50, 24.36], [109.50, 24.38], [109.48, 24.36]]]}


def sign_in(client, username, password):
    return client.post("/api/auth/token", json={"username": username, "password": password})


def create(client, headers, **body):
    return client.post("/api/users", json=body, headers=headers)


def test_office_creates_field_accounts_with_a_one_time_password(client, office):
    r = create(client, office, username="li.si", role="liaison", unit="柳东交警大队", display_name="李四")
    assert r.status_code == 201
    assert r.json["unit"] == {"code": "jjdd", "name": "柳东交警大队"} and len(r.json["password"]) >= 8
    assert sign_in(client, "li.si", r.json["password"]).status_code == 200
    listed = {u["username"]: u for u in client.get("/api/users", headers=office).json}
    assert "password" not in listed["li.si"] and listed["li.si"]["last_sync_at"] is None


@pytest.mark.parametrize("role", ["office", "admin"])
def test_office_cannot_create_staff_accounts_but_admin_can(client, office, make_user, role):
    assert create(client, office, username=f"x-{role}", role=role).status_code == 403
    _, admin = make_user("admin")
    assert create(client, admin, username=f"y-{role}", role=role).status_code == 201


def test_field_roles_cannot_administer(client, make_user):
    _, liaison = make_user("liaison", unit="zfj")
    _, inspector = make_user("inspector")
    for headers in (liaison, inspector):
        assert client.get("/api/users", headers=headers).status_code == 403
        assert create(client, headers, username="nope", role="inspector").status_code == 403
        assert client.patch("/api/catalog/categories/a1-piling", json={"deadline_value": 1},
                            headers=headers).status_code == 403


def test_liaison_without_unit_and_bad_username_are_refused(client, office):
    assert create(client, office, username="wu", role="liaison").status_code == 422
    assert create(client, office, username="bad name!", role="inspector").status_code == 422
    assert create(client, office, username="zz", role="inspector", unit="不存在").status_code == 422


def test_deactivating_signs_the_phone_out_and_blocks_sign_in(client, office):
    pw = create(client, office, username="zhou", role="inspector").json["password"]
    token = sign_in(client, "zhou", pw).json["token"]
    uid = next(u["id"] for u in client.get("/api/users", headers=office).json if u["username"] == "zhou")
    assert client.patch(f"/api/users/{uid}", json={"active": False}, headers=office).json["active"] is False
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert sign_in(client, "zhou", pw).status_code == 401


def test_reset_password_and_revoke_tokens(client, office):
    pw = create(client, office, username="qian", role="inspector").json["password"]
    token = sign_in(client, "qian", pw).json["token"]
    uid = next(u["id"] for u in client.get("/api/users", headers=office).json if u["username"] == "qian")
    r = client.post(f"/api/users/{uid}/revoke-tokens", headers=office)
    assert r.json == {"revoked": 1}
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    new = client.patch(f"/api/users/{uid}", json={"reset_password": True}, headers=office).json["password"]
    assert new != pw
    assert sign_in(client, "qian", pw).status_code == 401
    assert sign_in(client, "qian", new).status_code == 200


def test_category_edit_is_audited_bumps_the_version_and_routes_new_cases(client, office, inspector, runner):
    from ..helpers import case_body, declare, generated_jpeg
    before = client.get("/api/catalog", headers=office).json["version"]
    r = client.patch("/api/catalog/categories/a1-piling", json={
        "deadline_value": 12, "deadline_kind": "hours", "lead_unit": "jdb", "cooperating_units": ["zfj", "ghj"]},
        headers=office)
    assert r.status_code == 200 and r.json["lead_unit"]["code"] == "jdb"
    doc = client.get("/api/catalog", headers=office).json
    assert doc["version"] == before + 1
    cat = next(c for c in doc["categories"] if c["code"] == "a1-piling")
    assert cat["deadline"] == {"value": 12, "kind": "hours"}
    assert sorted(u["code"] for u in cat["cooperating_units"]) == ["ghj", "zfj"]
    entry = client.get("/api/audit", headers=office).json[0]
    assert entry["target"] == "category:a1-piling" and entry["before"]["lead_unit"] == "zfj"
    assert entry["after"]["deadline"] == {"value": 12, "kind": "hours"}
    import uuid
    case = client.put(f"/api/reports/{uuid.uuid4()}", json=case_body(photos=[declare(generated_jpeg())]),
                      headers=inspector).json
    assert case["lead_unit"]["code"] == "jdb"
    # Re-running the setup's catalog load keeps the office's edit (the plan file did not change).
    assert runner.invoke(args=["catalog", "load"]).exit_code == 0
    again = next(c for c in client.get("/api/catalog", headers=office).json["categories"] if c["code"] == "a1-piling")
    assert again["deadline"] == {"value": 12, "kind": "hours"}


def test_category_edit_refuses_unknown_units_and_the_office_itself(client, office):
    for body in ({"lead_unit": "nope"}, {"lead_unit": "cwb"}, {"cooperating_units": ["zfj", "nope"]},
                 {"deadline_kind": "weeks"}, {"deadline_value": 0}):
        assert client.patch("/api/catalog/categories/a1-piling", json=body, headers=office).status_code == 422
    assert client.patch("/api/catalog/categories/none", json={"auto_dispatch": False}, headers=office).status_code == 404


def test_zone_overrides_routing_and_bad_geometry_is_refused(client, office, inspector):
    import uuid

    from ..helpers import case_body, declare, generated_jpeg
    r = client.put("/api/catalog/zones/z-market", json={"name": "柳东农贸市场", "lead_unit": "sys", "priority": 5,
                                                       "geometry": POLYGON}, headers=office)
    assert r.status_code == 200 and r.json["lead_unit"]["code"] == "sys"
    inside = client.put(f"/api/reports/{uuid.uuid4()}", headers=inspector, json=case_body(
        "a1-piling", [declare(generated_jpeg())], lat=24.365, lon=109.495)).json
    assert inside["lead_unit"]["code"] == "sys" and inside["routing"]["rule"].startswith("zone:z-market")
    for geometry in ({"type": "Point", "coordinates": [109.4, 24.3]},
                     {"type": "Polygon", "coordinates": [[[109.4, 24.3], [109.5, 24.3], [109.5, 24.4]]]},
                     {"type": "Polygon", "coordinates": [[[200, 24.3], [109.5, 24.3], [109.5, 24.4], [200, 24.3]]]}):
        r = client.put("/api/catalog/zones/z-bad", json={"name": "x", "lead_unit": "sys", "geometry": geometry},
                       headers=office)
        assert r.status_code == 422 and "geometry" in r.json["errors"]


def test_liaison_roster_export(client, office):
    create(client, office, username="l1", role="liaison", unit="阳和街道办事处", display_name="甲")
    create(client, office, username="l2", role="liaison", unit="柳东交警大队", display_name="乙")
    create(client, office, username="i1", role="inspector")
    r = client.get("/api/exports/liaisons.xlsx", headers=office)
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("单位", "姓名", "账号", "状态", "最近同步") and ws.freeze_panes == "A2"
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [("柳东交警大队", "乙", "l2"), ("阳和街道办事处", "甲", "l1")]
