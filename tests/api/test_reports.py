"""Case sync API: idempotent PUT, conflicts, validation, visibility, listing."""
import threading
import uuid
from datetime import datetime, timedelta, timezone

from server.models.types import utcnow

from ..helpers import case_body, declare, generated_jpeg, put_case_with_photos


def put(client, headers, body, case_id=None):
    case_id = case_id or str(uuid.uuid4())
    return case_id, client.put(f"/api/reports/{case_id}", json=body, headers=headers)


def test_first_put_creates_and_routes(client, inspector):
    photo = declare(generated_jpeg())
    case_id, r = put(client, inspector, case_body("a1-parking-motor", [photo]))
    assert r.status_code == 201
    case = r.json
    assert case["id"] == case_id
    assert case["status"] == "dispatched"  # auto-dispatch category
    assert case["lead_unit"] == {"code": "jjdd", "name": "柳东交警大队"}
    assert {"code": "gaj", "name": "市公安局柳东分局"} in case["cooperating_units"]
    assert case["routing"]["rule"] == "category:a1-parking-motor"
    assert "柳东交警大队" in case["routing"]["reason"]
    assert case["due_at"] is not None
    assert case["missing_photos"] == [photo["id"]]
    assert case["photos"][0]["received"] is False
    assert case["number"].startswith(str(datetime.now(timezone.utc).year)[:3])


def test_category_without_auto_dispatch_waits_for_office(client, inspector):
    _, r = put(client, inspector, case_body("a1-other", [declare(generated_jpeg())]))
    assert r.status_code == 201
    assert r.json["status"] == "submitted"
    assert r.json["due_at"] is None


def test_identical_replay_returns_200_and_one_case(client, inspector, office):
    body = case_body(photos=[declare(generated_jpeg())])
    case_id, first = put(client, inspector, body)
    _, again = put(client, inspector, body, case_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["number"] == first.json["number"]
    listed = client.get("/api/reports", headers=office).json["items"]
    assert [c["id"] for c in listed] == [case_id]


def test_replay_with_other_body_conflicts(client, inspector):
    body = case_body(photos=[declare(generated_jpeg())])
    case_id, _ = put(client, inspector, body)
    _, r = put(client, inspector, {**body, "description": "另一个描述"}, case_id)
    assert r.status_code == 409
    assert r.json["code"] == "case_conflict"


def test_same_uuid_from_another_inspector_conflicts(client, inspector, make_user):
    body = case_body(photos=[declare(generated_jpeg())])
    case_id, _ = put(client, inspector, body)
    _, other = make_user("inspector")
    _, r = put(client, other, body, case_id)
    assert r.status_code == 409


def test_concurrent_identical_puts_create_one_case(app, inspector, office):
    body = case_body(photos=[declare(generated_jpeg())])
    case_id = str(uuid.uuid4())
    barrier = threading.Barrier(4)
    results = []

    def send():
        client = app.test_client()
        barrier.wait()
        r = client.put(f"/api/reports/{case_id}", json=body, headers=inspector)
        results.append(r.status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 200, 200, 201]
    items = app.test_client().get("/api/reports", headers=office).json["items"]
    assert len(items) == 1


def test_validation_errors_name_the_fields(client, inspector):
    bad = case_body(lat=91, lon=200)
    bad["captured_at"] = "yesterday"
    _, r = put(client, inspector, bad)
    assert r.status_code == 422
    assert r.json["code"] == "invalid_input"
    assert set(r.json["errors"]) >= {"location", "captured_at"}
    assert "lat" in r.json["errors"]["location"] and "lon" in r.json["errors"]["location"]


def test_unknown_category_is_422(client, inspector):
    _, r = put(client, inspector, case_body("no-such-thing", [declare(generated_jpeg())]))
    assert r.status_code == 422
    assert r.json["code"] == "unknown_category"
    assert "category" in r.json["errors"]


def test_too_many_photos_is_422(client, inspector, app):
    photos = [declare(generated_jpeg(color=(i, 0, 0))) for i in range(app.config["PHOTOS_PER_CASE"] + 1)]
    _, r = put(client, inspector, case_body(photos=photos))
    assert r.status_code == 422
    assert "photos" in r.json["errors"]


def test_photo_required_for_category(client, inspector):
    _, r = put(client, inspector, case_body(photos=[]))
    assert r.status_code == 422
    assert r.json["code"] == "photo_required"


def test_future_capture_time_is_refused(client, inspector):
    body = case_body(photos=[declare(generated_jpeg())],
                     captured_at=utcnow() + timedelta(days=3))
    _, r = put(client, inspector, body)
    assert r.status_code == 422
    assert "captured_at" in r.json["errors"]


def test_naive_timestamp_is_refused(client, inspector):
    body = case_body(photos=[declare(generated_jpeg())])
    body["captured_at"] = "2026-11-28T10:00:00"
    _, r = put(client, inspector, body)
    assert r.status_code == 422


def test_photo_id_reused_in_another_case_conflicts(client, inspector):
    photo = declare(generated_jpeg())
    put(client, inspector, case_body(photos=[photo]))
    _, r = put(client, inspector, case_body(photos=[photo], description="x"))
    assert r.status_code == 409
    assert r.json["code"] == "photo_id_taken"


def test_invalid_json_and_wrong_content_type(client, inspector):
    r = client.put(f"/api/reports/{uuid.uuid4()}", data="{not json",
                   headers={**inspector, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["code"] == "invalid_json"
    r = client.put(f"/api/reports/{uuid.uuid4()}", data="category=a1",
                   headers={**inspector, "Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= r.status_code < 500
    assert set(r.json) == {"code", "message", "errors"}


def test_huge_json_body_is_413(client, inspector):
    body = case_body(photos=[declare(generated_jpeg())], description="长" * 600_000)
    _, r = put(client, inspector, body)
    assert r.status_code == 413
    assert r.json["code"] == "too_large"


def test_liaison_cannot_create_cases(client, make_user):
    _, liaison = make_user("liaison", unit="zfj")
    _, r = put(client, liaison, case_body(photos=[declare(generated_jpeg())]))
    assert r.status_code == 403


def test_liaison_sees_only_own_units_dispatched_cases(client, inspector, make_user):
    zfj_case, _ = put(client, inspector, case_body("a1-piling", [declare(generated_jpeg())]))
    jdb_case, _ = put(client, inspector, case_body("a2-burning", [declare(generated_jpeg())]))
    triage, _ = put(client, inspector, case_body("a1-other", [declare(generated_jpeg())]))
    _, zfj = make_user("liaison", unit="市执法局北部分局")
    assert client.get(f"/api/reports/{zfj_case}", headers=zfj).status_code == 200
    r = client.get(f"/api/reports/{jdb_case}", headers=zfj)
    assert r.status_code == 404 and r.json["code"] == "case_not_found"
    # not yet dispatched: the office is still triaging it
    assert client.get(f"/api/reports/{triage}", headers=zfj).status_code == 404
    listed = client.get("/api/reports", headers=zfj).json["items"]
    assert [c["id"] for c in listed] == [zfj_case]


def test_inspector_sees_only_own_cases(client, inspector, make_user):
    mine, _ = put(client, inspector, case_body(photos=[declare(generated_jpeg())]))
    _, other = make_user("inspector")
    assert client.get(f"/api/reports/{mine}", headers=other).status_code == 404
    assert client.get("/api/reports", headers=other).json["items"] == []


def test_reporter_identity_only_for_office(client, inspector, office, make_user):
    case_id, _ = put(client, inspector, case_body(photos=[declare(generated_jpeg())], covert=True))
    _, liaison = make_user("liaison", unit="zfj")
    seen = client.get(f"/api/reports/{case_id}", headers=liaison)
    assert seen.status_code == 200
    assert seen.json["source"] == "office"
    assert "zhang.san" not in seen.get_data(as_text=True)
    assert "covert" not in seen.json
    staff = client.get(f"/api/reports/{case_id}", headers=office).json
    assert staff["reporter"]["username"] == "zhang.san"
    assert staff["covert"] is True


def test_list_filters_and_cursor_paging(client, inspector, office):
    ids = []
    for category in ["a1-piling", "a2-burning", "a1-piling", "a4-dust", "a1-piling"]:
        case_id, r = put(client, inspector, case_body(category, [declare(generated_jpeg())]))
        assert r.status_code == 201
        ids.append(case_id)
    page1 = client.get("/api/reports?limit=2", headers=office).json
    assert [c["id"] for c in page1["items"]] == ids[::-1][:2]
    page2 = client.get(f"/api/reports?limit=2&cursor={page1['next_cursor']}", headers=office).json
    page3 = client.get(f"/api/reports?limit=2&cursor={page2['next_cursor']}", headers=office).json
    assert [c["id"] for c in page2["items"] + page3["items"]] == ids[::-1][2:]
    assert page3["next_cursor"] is None
    piling = client.get("/api/reports?category=a1-piling", headers=office).json["items"]
    assert len(piling) == 3
    action2 = client.get("/api/reports?action=2", headers=office).json["items"]
    assert [c["category"] for c in action2] == ["a2-burning"]
    unit = client.get("/api/reports?unit=ghj", headers=office).json["items"]
    assert [c["category"] for c in unit] == ["a4-dust"]
    assert client.get("/api/reports?status=submitted", headers=office).json["items"] == []
    assert client.get("/api/reports?cursor=@@@", headers=office).status_code == 422
    assert client.get("/api/reports?status=bogus", headers=office).status_code == 422


def test_since_returns_cases_updated_later(client, inspector, office):
    first, _ = put(client, inspector, case_body(photos=[declare(generated_jpeg())]))
    mark = client.get(f"/api/reports/{first}", headers=office).json["updated_at"]
    second, _ = put(client, inspector, case_body(photos=[declare(generated_jpeg(color=(1, 2, 3)))]))
    since = client.get("/api/reports", query_string={"since": mark}, headers=office).json["items"]
    assert [c["id"] for c in since] == [second]


def test_photo_upload_completes_manifest_and_updates_case(client, inspector):
    data = generated_jpeg()
    case_id, case, photo_ids = put_case_with_photos(client, inspector, [data, generated_jpeg(color=(9, 9, 9))])
    assert case["missing_photos"] == []
    assert all(p["received"] for p in case["photos"])
    assert case["photos"][0]["width"] == 800 and case["photos"][0]["height"] == 600
    assert [p["id"] for p in case["photos"]] == photo_ids


def test_unauthenticated_and_bad_tokens_get_401(client):
    r = client.get("/api/reports")
    assert r.status_code == 401 and r.json["code"] == "unauthorized"
    r = client.get("/api/reports", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    r = client.put(f"/api/reports/{uuid.uuid4()}", json={}, headers={"Authorization": "Basic x"})
    assert r.status_code == 401


def test_bad_uuid_in_path_is_404(client, inspector):
    r = client.get("/api/reports/../../etc/passwd", headers=inspector)
    assert r.status_code == 404
    r = client.put("/api/reports/not-a-uuid", json=case_body(), headers=inspector)
    assert r.status_code == 404
    assert set(r.json) == {"code", "message", "errors"}
