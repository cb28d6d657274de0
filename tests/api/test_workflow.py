"""Case lifecycle over the API: transitions, after/verify photos, work lists, duplicates,
the in-app count of new items and unit webhooks."""
import hashlib
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from server.extensions import db
from server.models import Case
from server.models.types import utcnow

from ..helpers import YANGHE, generated_jpeg, put_case_with_photos


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Users are made per test; scrypt would dominate the run time and is not under test here."""
    from werkzeug.security import generate_password_hash
    from server.services import auth
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda pw: generate_password_hash(pw, method="pbkdf2:sha256:1"))


@pytest.fixture
def lead(make_user):
    """A liaison of 市执法局北部分局 (zfj), the lead unit of a1-piling."""
    return make_user("liaison", unit="zfj")[1]


@pytest.fixture
def other_unit(make_user):
    """A liaison of 阳和街道办事处 (jdb), not involved in a1-piling cases."""
    return make_user("liaison", unit="jdb")[1]


_colors = iter(range(1, 10_000))


def jpeg():
    """A distinct small JPEG each call (photos are content-addressed)."""
    n = next(_colors)
    return generated_jpeg(size=(48 + n, 48), color=(n * 37 % 256, n * 91 % 256, 90))


def new_case(client, headers, category="a1-piling", **extra):
    """An inspector's case with one received before-photo; returns (case_id, case JSON)."""
    case_id, case, _ = put_case_with_photos(client, headers, [jpeg()], category, **extra)
    return case_id, case


def act(client, headers, case_id, action, tid=None, **fields):
    body = {"id": str(tid or uuid.uuid4()), "action": action, **fields}
    return client.post(f"/api/reports/{case_id}/transitions", json=body, headers=headers)


def upload(client, headers, case_id, role, data=None, photo_id=None, sha=None):
    """PUT photo bytes with ?role=…; returns (photo id, response)."""
    photo_id = str(photo_id or uuid.uuid4())
    hdrs = {**headers, "Content-Type": "image/jpeg"}
    if sha is not None:
        hdrs["X-Content-SHA256"] = sha
    r = client.put(f"/api/reports/{case_id}/photos/{photo_id}?role={role}", data=data or jpeg(),
                   headers=hdrs)
    return photo_id, r


def get(client, headers, case_id):
    r = client.get(f"/api/reports/{case_id}", headers=headers)
    assert r.status_code == 200, r.json
    return r.json


def assert_error(r, status, code=None):
    assert r.status_code == status, (r.status_code, r.json)
    assert set(r.json) == {"code", "message", "errors"}
    if code:
        assert r.json["code"] == code, r.json


def kinds(case):
    return [e["kind"] for e in case["events"]]


def accepted_case(client, inspector, lead):
    case_id, _ = new_case(client, inspector)
    assert act(client, lead, case_id, "accept").status_code == 200
    return case_id


def resolved_case(client, inspector, lead):
    case_id = accepted_case(client, inspector, lead)
    pid, r = upload(client, lead, case_id, "after")
    assert r.status_code == 201, r.json
    r = act(client, lead, case_id, "resolve", note="已清理", photos=[pid])
    assert r.status_code == 200, r.json
    return case_id


# ---------------------------------------------------------------- the whole journey

def test_full_journey_with_one_rework(client, inspector, lead, office):
    case_id, case = new_case(client, inspector)
    assert case["status"] == "dispatched"
    assert case["lead_unit"]["code"] == "zfj"
    assert (case["rework_count"], case["extensions"], case["overdue"]) == (0, 0, False)
    assert get(client, lead, case_id)["allowed_actions"] == ["accept", "request_transfer", "extend"]

    r = act(client, lead, case_id, "accept")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "accepted"
    assert r.json["allowed_actions"] == ["resolve", "request_transfer", "extend"]

    after1, r = upload(client, lead, case_id, "after")
    assert r.status_code == 201, r.json
    assert r.json["role"] == "after" and r.json["received"] is True
    r = act(client, lead, case_id, "resolve", note="杂物已清理", photos=[after1])
    assert r.status_code == 200, r.json
    assert r.json["status"] == "resolved"
    assert r.json["allowed_actions"] == []
    assert get(client, office, case_id)["allowed_actions"] == ["verify", "return"]

    r = act(client, office, case_id, "return", note="仍有纸箱未清走")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "accepted"
    assert r.json["rework_count"] == 1

    after2, r = upload(client, lead, case_id, "after")
    assert r.status_code == 201, r.json
    r = act(client, lead, case_id, "resolve", note="纸箱已清走", photos=[after2])
    assert r.status_code == 200, r.json
    assert r.json["status"] == "resolved"

    check, r = upload(client, office, case_id, "verify")
    assert r.status_code == 201, r.json
    assert r.json["role"] == "verify"
    r = act(client, office, case_id, "verify", note="复查合格", photos=[check])
    assert r.status_code == 200, r.json
    final = r.json
    assert final["status"] == "closed"
    assert final["rework_count"] == 1
    assert final["allowed_actions"] == ["reopen"]
    assert final["overdue"] is False

    assert kinds(final) == ["create", "dispatch", "accept", "resolve", "return", "resolve", "verify"]
    chain = [(e["from"], e["to"]) for e in final["events"]]
    assert chain == [(None, "submitted"), ("submitted", "dispatched"), ("dispatched", "accepted"),
                     ("accepted", "resolved"), ("resolved", "accepted"), ("accepted", "resolved"),
                     ("resolved", "closed")]
    ev = final["events"]
    assert [e["actor"]["role"] for e in ev] == ["inspector", "system", "liaison", "liaison", "office",
                                                "liaison", "office"]
    assert ev[3]["note"] == "杂物已清理" and ev[3]["data"] == {"photos": [after1]}
    assert ev[4]["note"] == "仍有纸箱未清走"
    assert ev[5]["data"] == {"photos": [after2]}
    assert ev[6]["data"] == {"photos": [check]}
    assert ev[0]["actor"]["username"] == "zhang.san"  # the office sees who acted
    times = [e["at"] for e in ev]
    assert times == sorted(times)

    roles = {p["id"]: p["role"] for p in final["photos"]}
    assert list(roles.values()).count("before") == 1
    assert roles[after1] == roles[after2] == "after" and roles[check] == "verify"
    assert all(p["received"] for p in final["photos"]) and final["missing_photos"] == []

    # The liaison sees the same trail with units, not names; the reporter sees it too.
    for viewer in (lead, inspector):
        seen = get(client, viewer, case_id)
        assert kinds(seen) == kinds(final)
        assert all("username" not in e["actor"] for e in seen["events"])
    liaison_view = get(client, lead, case_id)
    assert liaison_view["events"][2]["actor"] == {"role": "liaison", "unit": "市执法局北部分局"}


def test_office_dispatches_a_triaged_case(client, inspector, office, lead, other_unit):
    case_id, case = new_case(client, inspector, "a1-other")
    assert case["status"] == "submitted" and case["due_at"] is None
    assert_error(client.get(f"/api/reports/{case_id}", headers=lead), 404)  # not yet assigned
    r = act(client, office, case_id, "dispatch", unit="zfj")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "dispatched" and r.json["due_at"] is not None
    assert r.json["events"][-1]["data"]["unit"] == "zfj"
    assert get(client, lead, case_id)["status"] == "dispatched"
    # Re-dispatch elsewhere than suggested needs a reason; with one the case moves.
    assert_error(act(client, office, case_id, "dispatch", unit="jdb"), 422, "reason_required")
    r = act(client, office, case_id, "dispatch", unit="jdb", note="属街道辖区")
    assert r.status_code == 200 and r.json["lead_unit"]["code"] == "jdb"
    assert_error(client.get(f"/api/reports/{case_id}", headers=lead), 404)
    assert get(client, other_unit, case_id)["status"] == "dispatched"


# ---------------------------------------------------------------- idempotency

def test_same_transition_id_twice_makes_one_event(client, inspector, lead):
    case_id, _ = new_case(client, inspector)
    tid = uuid.uuid4()
    first = act(client, lead, case_id, "accept", tid)
    again = act(client, lead, case_id, "accept", tid)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json["status"] == "accepted"
    assert kinds(again.json).count("accept") == 1
    assert kinds(get(client, lead, case_id)) == ["create", "dispatch", "accept"]


def test_replayed_resolve_after_return_is_not_applied_again(client, inspector, lead, office):
    case_id = accepted_case(client, inspector, lead)
    pid, _ = upload(client, lead, case_id, "after")
    tid = uuid.uuid4()
    assert act(client, lead, case_id, "resolve", tid, note="好了", photos=[pid]).status_code == 200
    assert act(client, office, case_id, "return", note="没好").status_code == 200
    # A phone retrying the first resolve must not resolve the reworked case.
    r = act(client, lead, case_id, "resolve", tid, note="好了", photos=[pid])
    assert r.status_code == 200
    assert r.json["status"] == "accepted"
    assert kinds(r.json).count("resolve") == 1


def test_transition_id_reused_for_another_action_conflicts(client, inspector, lead):
    case_id, _ = new_case(client, inspector)
    tid = uuid.uuid4()
    assert act(client, lead, case_id, "accept", tid).status_code == 200
    assert_error(act(client, lead, case_id, "extend", tid, note="x",
                     due_at=(utcnow() + timedelta(days=9)).isoformat()), 409, "transition_conflict")
    other_id, _ = new_case(client, inspector)
    assert_error(act(client, lead, other_id, "accept", tid), 409, "transition_conflict")


def race(app, headers, case_id, bodies):
    """POST these transition bodies at once from separate clients; returns the status codes."""
    barrier = threading.Barrier(len(bodies))
    results = []

    def send(body):
        client = app.test_client()
        barrier.wait()
        r = client.post(f"/api/reports/{case_id}/transitions", json=body, headers=headers)
        results.append(r.status_code)

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


def test_concurrent_retries_of_one_transition_make_one_event(app, client, inspector, lead):
    case_id, _ = new_case(client, inspector)
    body = {"id": str(uuid.uuid4()), "action": "accept"}
    assert race(app, lead, case_id, [body] * 4) == [200, 200, 200, 200]
    assert kinds(get(client, lead, case_id)) == ["create", "dispatch", "accept"]


def test_concurrent_different_transitions_apply_once(app, client, inspector, lead, monkeypatch):
    """Two phones of one unit accept at once: one wins, the other is told the case moved on.

    Both requests are held just before the change is applied until the other arrives there too
    (or 2 s pass, as they would when the server serialises them), so the race is not left to luck.
    """
    from server.services import lifecycle
    gate = threading.Barrier(2)
    real_apply = lifecycle._apply

    def held_apply(*args, **kwargs):
        try:
            gate.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return real_apply(*args, **kwargs)

    case_id, _ = new_case(client, inspector)
    monkeypatch.setattr(lifecycle, "_apply", held_apply)
    bodies = [{"id": str(uuid.uuid4()), "action": "accept"} for _ in range(2)]
    codes = race(app, lead, case_id, bodies)
    monkeypatch.undo()
    events = kinds(get(client, lead, case_id))
    assert events.count("accept") == 1, (codes, events)
    assert codes == [200, 409]


def test_retried_transfer_request_is_still_200(client, inspector, lead, office):
    """request_transfer takes the case out of the liaison's sight; a phone retrying it must not
    be told 404 for a step that was applied (the contract: same id again → 200, no second event)."""
    case_id, _ = new_case(client, inspector)
    tid = uuid.uuid4()
    first = act(client, lead, case_id, "request_transfer", tid, note="不属我局职责")
    assert first.status_code == 200, first.json
    assert first.json["status"] == "submitted"
    again = act(client, lead, case_id, "request_transfer", tid, note="不属我局职责")
    assert again.status_code == 200, (again.status_code, again.json)
    assert kinds(get(client, office, case_id)).count("request_transfer") == 1


# ---------------------------------------------------------------- refusals

def test_wrong_unit_is_404_and_wrong_role_is_403(client, inspector, lead, other_unit, office,
                                                 make_user):
    case_id, _ = new_case(client, inspector)
    assert_error(act(client, other_unit, case_id, "accept"), 404, "case_not_found")
    _, stranger = make_user("inspector")
    assert_error(act(client, stranger, case_id, "accept"), 404, "case_not_found")
    assert_error(act(client, inspector, case_id, "accept"), 403, "forbidden")  # the reporter
    assert_error(act(client, office, case_id, "accept"), 403, "forbidden")     # office is no unit
    assert_error(act(client, lead, case_id, "dispatch", unit="zfj"), 403, "forbidden")
    assert_error(act(client, lead, case_id, "grant_extension",
                     due_at=(utcnow() + timedelta(days=30)).isoformat()), 403)
    assert_error(act(client, office, case_id, "extend", note="x",
                     due_at=(utcnow() + timedelta(days=30)).isoformat()), 403)
    assert_error(act(client, {}, case_id, "accept"), 401)
    assert kinds(get(client, office, case_id)) == ["create", "dispatch"]  # nothing was applied


def test_unknown_case_is_404(client, office):
    assert_error(act(client, office, uuid.uuid4(), "verify"), 404, "case_not_found")


def test_illegal_transition_is_409_listing_allowed_actions(client, inspector, lead, office):
    case_id, _ = new_case(client, inspector)
    r = act(client, lead, case_id, "resolve", note="x", photos=[str(uuid.uuid4())])
    assert_error(r, 409, "illegal_transition")
    assert r.json["errors"]["allowed"] == ["accept", "request_transfer", "extend"]
    r = act(client, office, case_id, "verify")
    assert_error(r, 409, "illegal_transition")
    assert r.json["errors"]["allowed"] == ["dispatch", "grant_extension"]
    r = act(client, office, case_id, "reject", note="重复")
    assert_error(r, 409, "illegal_transition")
    assert get(client, office, case_id)["status"] == "dispatched"


def test_missing_proof_or_reason_is_422(client, inspector, lead, office):
    case_id = accepted_case(client, inspector, lead)
    before = get(client, office, case_id)["photos"][0]["id"]
    pid, _ = upload(client, lead, case_id, "after")
    assert_error(act(client, lead, case_id, "resolve", note="好了"), 422, "after_photo_required")
    assert_error(act(client, lead, case_id, "resolve", note="  ", photos=[pid]), 422, "reason_required")
    r = act(client, lead, case_id, "resolve", note="好了", photos=[before])
    assert_error(r, 422, "photo_not_ready")
    assert r.json["errors"]["photos"] == [before]
    ghost = str(uuid.uuid4())
    r = act(client, lead, case_id, "resolve", note="好了", photos=[pid, ghost])
    assert_error(r, 422, "photo_not_ready")
    assert r.json["errors"]["photos"] == [ghost]
    assert_error(act(client, lead, case_id, "request_transfer"), 422, "reason_required")
    assert_error(act(client, lead, case_id, "extend", note="材料未到"), 422, "due_at_required")
    assert_error(act(client, lead, case_id, "extend", note="材料未到",
                     due_at=(utcnow() - timedelta(hours=1)).isoformat()), 422, "due_at_too_early")
    assert act(client, lead, case_id, "resolve", note="好了", photos=[pid]).status_code == 200
    assert_error(act(client, office, case_id, "return"), 422, "reason_required")
    assert_error(act(client, office, case_id, "return", note="   "), 422, "reason_required")
    assert get(client, office, case_id)["status"] == "resolved"


def test_after_photo_of_another_case_is_not_proof(client, inspector, lead):
    one = accepted_case(client, inspector, lead)
    two = accepted_case(client, inspector, lead)
    pid, r = upload(client, lead, one, "after")
    assert r.status_code == 201
    assert_error(act(client, lead, two, "resolve", note="好了", photos=[pid]), 422, "photo_not_ready")


def test_transition_body_is_validated(client, inspector, lead, office):
    case_id, _ = new_case(client, inspector)
    r = client.post(f"/api/reports/{case_id}/transitions", json={"action": "accept"}, headers=lead)
    assert_error(r, 422)
    assert "id" in r.json["errors"]
    assert_error(act(client, lead, case_id, "teleport"), 422)
    assert_error(act(client, office, case_id, "dispatch", unit="no-such-unit", note="x"), 422,
                 "unknown_unit")
    assert_error(act(client, office, case_id, "dispatch", unit="cwb", note="x"), 422, "unknown_unit")


def test_reject_as_duplicate(client, inspector, office):
    first, _ = new_case(client, inspector, "a1-other")
    second, _ = new_case(client, inspector, "a1-other")
    assert_error(act(client, office, second, "reject", note="重复", duplicate_of=second), 422,
                 "unknown_case")
    r = act(client, office, second, "reject", note="重复", duplicate_of=first)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "rejected"
    assert r.json["duplicate_of"] == get(client, office, first)["number"]


# ---------------------------------------------------------------- after / verify photos

def test_after_photo_only_by_assigned_unit_or_office(client, inspector, lead, other_unit, office,
                                                     make_user):
    case_id = accepted_case(client, inspector, lead)
    assert_error(upload(client, inspector, case_id, "after")[1], 403, "forbidden")
    assert_error(upload(client, other_unit, case_id, "after")[1], 404, "case_not_found")
    _, other_inspector = make_user("inspector")
    assert_error(upload(client, other_inspector, case_id, "after")[1], 404)
    _, r = upload(client, office, case_id, "after")
    assert r.status_code == 201, r.json
    _, r = upload(client, lead, case_id, "after")
    assert r.status_code == 201, r.json
    photos = get(client, office, case_id)["photos"]
    assert [p["role"] for p in photos] == ["before", "after", "after"]


def test_after_photo_allowed_while_dispatched(client, inspector, lead):
    case_id, _ = new_case(client, inspector)
    pid, r = upload(client, lead, case_id, "after")
    assert r.status_code == 201, r.json
    data = jpeg()
    _, r = upload(client, lead, case_id, "after", data, photo_id=pid)
    assert_error(r, 409, "photo_conflict")  # same id, other bytes


def test_verify_photo_only_by_office(client, inspector, lead, office):
    case_id = resolved_case(client, inspector, lead)
    assert_error(upload(client, lead, case_id, "verify")[1], 403, "forbidden")
    assert_error(upload(client, inspector, case_id, "verify")[1], 403, "forbidden")
    _, r = upload(client, office, case_id, "verify")
    assert r.status_code == 201, r.json


def test_photo_roles_follow_the_status(client, inspector, lead, office):
    case_id = resolved_case(client, inspector, lead)
    assert_error(upload(client, lead, case_id, "after")[1], 409, "illegal_state")
    assert_error(upload(client, office, case_id, "after")[1], 409, "illegal_state")
    other = accepted_case(client, inspector, lead)
    assert_error(upload(client, office, other, "verify")[1], 409, "illegal_state")


def test_after_photo_id_of_a_before_photo_conflicts(client, inspector, lead, office):
    case_id, case = new_case(client, inspector)
    before = case["photos"][0]["id"]
    assert_error(upload(client, lead, case_id, "after", photo_id=before)[1], 409, "photo_id_taken")


def test_sha256_header_is_checked(client, inspector, lead, office):
    case_id = accepted_case(client, inspector, lead)
    data = jpeg()
    wrong = hashlib.sha256(b"something else").hexdigest()
    pid, r = upload(client, lead, case_id, "after", data, sha=wrong)
    assert_error(r, 400, "sha256_mismatch")
    assert [p["role"] for p in get(client, office, case_id)["photos"]] == ["before"]
    assert_error(upload(client, lead, case_id, "after", data, sha="ABC")[1], 400, "invalid_sha256")
    _, r = upload(client, lead, case_id, "after", data, photo_id=pid,
                  sha=hashlib.sha256(data).hexdigest())
    assert r.status_code == 201, r.json
    _, again = upload(client, lead, case_id, "after", data, photo_id=pid)
    assert again.status_code == 200  # the same bytes again


# ---------------------------------------------------------------- work lists

def set_due(app, case_id, due):
    with app.app_context():
        db.session.execute(update(Case).where(Case.id == uuid.UUID(case_id)).values(due_at=due))
        db.session.commit()


def ids(r):
    assert r.status_code == 200, r.json
    return [c["id"] for c in r.json["items"]]


def test_list_filters_overdue_due_within_and_order(app, client, inspector, lead, office):
    now = utcnow()
    late, _ = new_case(client, inspector)
    soon, _ = new_case(client, inspector)
    tomorrow, _ = new_case(client, inspector)
    later, _ = new_case(client, inspector)
    done = resolved_case(client, inspector, lead)  # past due but out of the unit's hands
    triage, _ = new_case(client, inspector, "a1-other")  # submitted: no due date
    set_due(app, late, now - timedelta(hours=2))
    set_due(app, soon, now + timedelta(hours=5))
    set_due(app, tomorrow, now + timedelta(hours=30))
    set_due(app, later, now + timedelta(days=4))
    set_due(app, done, now - timedelta(hours=3))
    assert act(client, lead, soon, "accept").status_code == 200  # accepted counts as in hand

    for viewer in (office, lead):
        assert ids(client.get("/api/reports?overdue=true", headers=viewer)) == [late]
        assert ids(client.get("/api/reports?due_within=24", headers=viewer)) == [soon]
        assert ids(client.get("/api/reports?due_within=48&order=due", headers=viewer)) == [soon, tomorrow]
    assert get(client, lead, late)["overdue"] is True
    assert get(client, lead, done)["overdue"] is False
    assert get(client, lead, soon)["overdue"] is False

    by_due = ids(client.get("/api/reports?order=due", headers=office))
    assert by_due == [done, late, soon, tomorrow, later, triage]  # soonest first, no due date last
    assert ids(client.get("/api/reports?order=due", headers=lead)) == [done, late, soon, tomorrow, later]
    assert ids(client.get("/api/reports?order=due&status=dispatched,accepted", headers=lead)) == [
        late, soon, tomorrow, later]
    assert client.get("/api/reports?order=due", headers=lead).json["next_cursor"] is None
    assert ids(client.get("/api/reports?order=due&limit=2", headers=lead)) == [done, late]
    assert_error(client.get("/api/reports?due_within=0", headers=lead), 422)
    assert_error(client.get("/api/reports?order=oldest", headers=lead), 422)


# ---------------------------------------------------------------- duplicates nearby

def test_nearby_lists_open_duplicates_for_the_office(client, inspector, office, lead):
    here, _ = new_case(client, inspector)
    close, _ = new_case(client, inspector, lat=YANGHE["lat"] + 0.00045)       # ~50 m north
    new_case(client, inspector, lat=YANGHE["lat"] + 0.003)                    # ~330 m away
    new_case(client, inspector, "a1-posting")                                 # same spot, other kind
    r = client.get(f"/api/reports/{here}/nearby", headers=office)
    assert r.status_code == 200, r.json
    assert [n["id"] for n in r.json] == [close]
    hit = r.json[0]
    assert 40 <= hit["distance_m"] <= 60
    assert hit["status"] == "dispatched" and hit["category_name"] == "乱堆乱放"
    assert hit["number"] == get(client, office, close)["number"]
    assert hit["thumb"].startswith("/api/photos/") and hit["thumb"].endswith("/thumb")
    thumb = client.get(hit["thumb"], headers=office)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"

    assert_error(client.get(f"/api/reports/{here}/nearby", headers=lead), 403, "forbidden")
    assert_error(client.get(f"/api/reports/{here}/nearby", headers=inspector), 403)
    assert_error(client.get(f"/api/reports/{here}/nearby"), 401)
    assert_error(client.get(f"/api/reports/{uuid.uuid4()}/nearby", headers=office), 404)


def test_closed_cases_are_not_duplicates(client, inspector, office, lead):
    here, _ = new_case(client, inspector)
    old = resolved_case(client, inspector, lead)
    assert [n["id"] for n in client.get(f"/api/reports/{here}/nearby", headers=office).json] == [old]
    assert act(client, office, old, "verify").status_code == 200
    assert client.get(f"/api/reports/{here}/nearby", headers=office).json == []


# ---------------------------------------------------------------- in-app count

def count(client, headers):
    r = client.get("/api/notifications", headers=headers)
    assert r.status_code == 200, r.json
    return r.json["count"]


def test_notification_count_rises_on_dispatch_and_resets_when_seen(client, inspector, office, lead,
                                                                   other_unit):
    assert count(client, lead) == 0
    first, _ = new_case(client, inspector, "a1-other")
    assert count(client, lead) == 0  # still with the office
    assert act(client, office, first, "dispatch", unit="zfj").status_code == 200
    assert count(client, lead) == 1
    assert count(client, other_unit) == 0

    r = client.post("/api/notifications/seen", headers=lead)
    assert r.status_code == 200, r.json
    assert r.json["count"] == 0 and r.json["seen_at"] is not None
    assert count(client, lead) == 0
    assert client.get("/api/notifications", headers=lead).json["seen_at"] == r.json["seen_at"]

    second, _ = new_case(client, inspector, "a1-other")
    assert act(client, office, second, "dispatch", unit="zfj").status_code == 200
    assert count(client, lead) == 1
    new_case(client, inspector)  # auto-dispatched to zfj
    assert count(client, lead) == 2
    assert_error(client.get("/api/notifications"), 401)


# ---------------------------------------------------------------- webhooks

HOOK = "https://qyapi.weixin.example/cgi-bin/webhook/send?key=abc"


def test_webhook_is_set_by_office_or_admin(client, office, lead, inspector, make_user):
    r = client.put("/api/units/zfj/webhook", json={"webhook_url": HOOK}, headers=office)
    assert r.status_code == 200, r.json
    assert r.json == {"code": "zfj", "name": "市执法局北部分局", "kind": r.json["kind"],
                      "webhook_url": HOOK}
    _, admin = make_user("admin")
    r = client.put("/api/units/jdb/webhook", json={"webhook_url": "http://10.0.0.5:8080/hook"},
                   headers=admin)
    assert r.status_code == 200, r.json
    for who in (lead, inspector):
        assert_error(client.put("/api/units/zfj/webhook", json={"webhook_url": "https://evil.example/"},
                                headers=who), 403, "forbidden")
    assert_error(client.put("/api/units/zfj/webhook", json={"webhook_url": HOOK}), 401)
    for bad in ("not a url", "ftp://files.example/x", "javascript:alert(1)", "", 42):
        assert_error(client.put("/api/units/zfj/webhook", json={"webhook_url": bad}, headers=office),
                     422)
    assert_error(client.put("/api/units/zfj/webhook", json={}, headers=office), 422)
    assert_error(client.put("/api/units/nosuch/webhook", json={"webhook_url": HOOK}, headers=office),
                 404, "unit_not_found")
    units = {u["code"]: u for u in client.get("/api/units", headers=office).json}
    assert units["zfj"]["webhook_url"] == HOOK
    r = client.put("/api/units/zfj/webhook", json={"webhook_url": None}, headers=office)
    assert r.status_code == 200 and r.json["webhook_url"] is None
    assert_error(client.get("/api/units", headers=lead), 403)


def test_dispatch_queues_a_webhook_delivery(client, inspector, office, lead):
    assert client.get("/api/webhooks/deliveries", headers=office).json == []
    new_case(client, inspector)  # no webhook yet: nothing queued
    assert client.get("/api/webhooks/deliveries", headers=office).json == []
    assert client.put("/api/units/zfj/webhook", json={"webhook_url": HOOK},
                      headers=office).status_code == 200

    case_id, _ = new_case(client, inspector, "a1-other")
    assert act(client, office, case_id, "dispatch", unit="zfj").status_code == 200
    r = client.get("/api/webhooks/deliveries", headers=office)
    assert r.status_code == 200, r.json
    assert len(r.json) == 1
    d = r.json[0]
    assert d["unit"]["code"] == "zfj" and d["kind"] == "assigned"
    assert d["status"] == "pending" and d["attempts"] == 0 and d["delivered_at"] is None

    pid, _ = upload(client, lead, case_id, "after")
    assert act(client, lead, case_id, "accept").status_code == 200
    assert act(client, lead, case_id, "resolve", note="好了", photos=[pid]).status_code == 200
    assert act(client, office, case_id, "return", note="不合格").status_code == 200
    listed = client.get("/api/webhooks/deliveries?unit=zfj", headers=office).json
    assert [x["kind"] for x in listed] == ["returned", "assigned"]  # newest first
    assert client.get("/api/webhooks/deliveries?unit=jdb", headers=office).json == []
    assert_error(client.get("/api/webhooks/deliveries", headers=lead), 403, "forbidden")
    assert_error(client.get("/api/webhooks/deliveries?unit=nosuch", headers=office), 404)
