"""Catalog API: shape, units as {code, name}, ETag and 304."""


def test_catalog_needs_sign_in(client):
    assert client.get("/api/catalog").status_code == 401


def test_catalog_shape(client, inspector, app):
    r = client.get("/api/catalog", headers=inspector)
    assert r.status_code == 200
    doc = r.json
    assert set(doc) == {"version", "actions", "units", "categories", "zones", "limits", "map"}
    assert doc["map"] == {"tile_url": "", "attribution": "", "crs": "wgs84"}  # no tiles by default
    assert [a["id"] for a in doc["actions"]] == list(range(1, 8))
    assert {u["name"] for u in doc["actions"][0]["lead_units"]} == {"市执法局北部分局", "阳和街道办事处"}
    assert all(set(u) == {"code", "name"} for u in doc["units"])
    assert len(doc["categories"]) >= 40
    cat = next(c for c in doc["categories"] if c["code"] == "a1-parking-marking")
    assert cat["lead_unit"] == {"code": "ghj", "name": "规划建设环保局"}
    assert cat["deadline"] == {"value": 10, "kind": "workdays"}
    assert doc["limits"]["photo_max_bytes"] == app.config["PHOTO_MAX_BYTES"]
    assert "image/heic" in doc["limits"]["photo_types"]


def test_catalog_etag_and_304(client, inspector, runner, app, tmp_path):
    first = client.get("/api/catalog", headers=inspector)
    etag = first.headers["ETag"]
    again = client.get("/api/catalog", headers={**inspector, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # A changed plan gives a new version and a new ETag.
    from server.services.catalog_loader import PLAN_PATH
    changed = tmp_path / "plan.yaml"
    changed.write_text(PLAN_PATH.read_text(encoding="utf-8").replace(
        "lead: zfj, deadline: 3 wd, kw: 堆放 杂物", "lead: zfj, deadline: 2 wd, kw: 堆放 杂物"),
        encoding="utf-8")
    r = runner.invoke(args=["catalog", "load", "--file", str(changed)])
    assert r.exit_code == 0 and "updated" in r.output
    fresh = client.get("/api/catalog", headers={**inspector, "If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.json["version"] == first.json["version"] + 1
    assert fresh.headers["ETag"] != etag


def test_openapi_document_lists_the_api(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json["paths"]
    for path in ["/api/auth/token", "/api/catalog", "/api/reports/{case_id}", "/api/reports",
                 "/api/reports/{case_id}/photos/{photo_id}", "/api/photos/{sha256}/{variant}"]:
        assert path in paths
    assert "CaseIn" in r.json["components"]["schemas"]
