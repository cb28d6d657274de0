"""The case state machine: every action × status × actor, idempotent transition ids, the proof each
action needs, its effects on the case, deadlines set at dispatch across the 2026 National Day holiday,
and the overdue / due-soon queries.

Putting a case into a status: these tests set `case.status` (and `due_at`) directly in the database
and commit, so that each check starts from exactly the status it names instead of from a chain of
other transitions (which are tested on their own here). Users never sign in, so they get a cheap
password hash (see `cheap_passwords`) instead of scrypt.
"""
import io
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from server.errors import ApiError
from server.extensions import db
from server.models import STATUSES, Case, Event, User, Unit
from server.models.types import utcnow
from server.schemas import CaseIn
from server.services import auth, lifecycle, photos, routing, sync

from ..helpers import case_body, declare, generated_jpeg

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The lifecycle as DESIGN.md §4 draws it, written here independently of lifecycle.RULES:
# action → (statuses it may start from, who may take it, the status it leads to).
# "office" is office and admin; "unit" is a liaison of the case's lead unit.
SPEC = {
    "dispatch": (("submitted", "dispatched", "accepted"), "office", "dispatched"),
    "accept": (("dispatched",), "unit", "accepted"),
    "resolve": (("accepted",), "unit", "resolved"),
    "verify": (("resolved",), "office", "closed"),
    "return": (("resolved",), "office", "accepted"),
    "request_transfer": (("dispatched", "accepted"), "unit", "submitted"),
    "reject": (("submitted",), "office", "rejected"),
    "extend": (("dispatched", "accepted"), "unit", None),  # a request: status and due date unchanged
    "grant_extension": (("dispatched", "accepted"), "office", None),
    "reopen": (("closed", "rejected"), "office", {"closed": "dispatched", "rejected": "submitted"}),
}

# actor → (kind, which statuses of the case it can see). A liaison sees a case only once it is in
# their unit's hands; another unit's liaison and another inspector never see it.
ACTORS = {
    "office": ("office", set(STATUSES)),
    "admin": ("office", set(STATUSES)),
    "lead_liaison": ("unit", set(STATUSES) - {"submitted", "rejected"}),
    "other_liaison": (None, set()),
    "reporter": (None, set(STATUSES)),
    "other_inspector": (None, set()),
}
# actor → (role, unit) of the user who plays it; the case's lead unit is 市执法局北部分局 (zfj).
CAST = {"office": ("office", None), "admin": ("admin", None), "lead_liaison": ("liaison", "zfj"),
        "other_liaison": ("liaison", "jdb"), "reporter": ("inspector", None),
        "other_inspector": ("inspector", None)}


# ── helpers ──────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def cheap_passwords(monkeypatch):
    """These users never sign in; scrypt for each would cost ~0.1 s apiece."""
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"))


class People(dict):
    """One user per actor, made on first use (the matrix needs all six, most tests two or three)."""

    def __init__(self, make_user):
        super().__init__()
        self.make_user = make_user

    def __missing__(self, actor):
        role, unit_code = CAST[actor]
        self[actor] = db.session.get(User, self.make_user(role, unit=unit_code)[0])
        return self[actor]


@pytest.fixture
def people(app_ctx, make_user, cheap_passwords):
    return People(make_user)


def unit(code):
    return db.session.execute(select(Unit).filter_by(code=code)).scalar_one()


def small_jpeg(color=(200, 40, 40)):
    return generated_jpeg(size=(64, 48), color=color)


def new_case(user, category="a1-piling", photo_bytes=None, **extra):
    """A case created the way a phone's PUT creates it (one declared photo unless photo_bytes are given);
    returns (case, declared photo ids)."""
    decls = [declare(b) for b in (photo_bytes or [small_jpeg()])]
    data = CaseIn().load(case_body(category, decls, **extra))
    case, created = sync.upsert_case(user, uuid.uuid4(), data)
    assert created
    return case, [uuid.UUID(d["id"]) for d in decls]


def upload(user, case, role, data=None, photo_id=None):
    """Store a photo's bytes through the real ingest path."""
    data = data or small_jpeg()
    photo, _ = photos.ingest_photo(user, case.id, photo_id or uuid.uuid4(), io.BytesIO(data), len(data),
                                   "image/jpeg", role=role)
    return photo


def put_in(case, status, due_at=None):
    """Set the case's status directly (see the module docstring), with a due date where one belongs."""
    case.status = status
    case.lead_unit = unit("zfj")
    if due_at is None and status in ("dispatched", "accepted", "resolved", "closed"):
        due_at = utcnow() + timedelta(days=2)
    case.due_at = due_at
    case.rework_count = 0
    case.extension_count = 0
    case.extension_request = None
    case.duplicate_of = None
    case.overdue_notified_at = None
    db.session.commit()
    return case


def transition(user, case, action, **data):
    """Apply one action with the defaults TransitionIn loads; returns (case, applied)."""
    body = {"id": uuid.uuid4(), "action": action, "note": "", "photos": [], "unit": None,
            "due_at": None, "duplicate_of": None, **data}
    return lifecycle.apply_transition(user, case.id, body)


def refused(user, case, action, **data):
    """The ApiError an action raises (the session is rolled back, as a request's teardown would)."""
    with pytest.raises(ApiError) as info:
        transition(user, case, action, **data)
    db.session.rollback()
    return info.value


def events(case, **where):
    q = select(Event).filter_by(case_pk=case.pk, **where).order_by(Event.id)
    return db.session.execute(q).scalars().all()


@pytest.fixture
def world(people):
    """People, an a1-piling case by the reporter (auto-dispatched to zfj) with a received before-photo
    and a received after-photo."""
    shot = small_jpeg(color=(10, 120, 10))
    case, (before_id,) = new_case(people["reporter"], photo_bytes=[shot])
    assert case.status == "dispatched" and case.lead_unit.code == "zfj"
    before = upload(people["reporter"], case, "before", shot, before_id)
    after = upload(people["lead_liaison"], case, "after", small_jpeg(color=(10, 10, 200)))
    return {"people": people, "case": case, "before": before, "after": after}


# ── the matrix ───────────────────────────────────────────────────────────────────────────────


def test_rules_are_the_documented_state_machine():
    assert list(lifecycle.RULES) == list(SPEC)
    for action, (sources, who, target) in SPEC.items():
        rule = lifecycle.RULES[action]
        assert set(rule.sources) == set(sources), action
        assert rule.actors == (who,), action
        assert rule.target == (target if isinstance(target, str) else None), action


REFUSALS = {404: "case_not_found", 403: "forbidden", 409: "illegal_transition"}


def _expected(action, status, actor):
    sources, who, _ = SPEC[action]
    kind, sees = ACTORS[actor]
    if status not in sees:
        return 404
    if kind != who:
        return 403
    if status not in sources:
        return 409
    return 200


def _expected_allowed(actor, status):
    kind = ACTORS[actor][0]
    return [a for a, (sources, who, _) in SPEC.items() if who == kind and status in sources]


def _data_for(action, after_photo):
    """What each action needs, so that only role and status decide the outcome."""
    later = utcnow() + timedelta(days=10)
    return {"id": uuid.uuid4(), "note": f"说明：{action}", "unit": "zfj" if action == "dispatch" else None,
            "photos": [after_photo.id] if action == "resolve" else [],
            "due_at": later if action in ("extend", "grant_extension") else None}


def _try(case, action, status, actor, user, after_photo):
    """Take one action as one actor on a case in one status; returns what went wrong, or None."""
    expected = _expected(action, status, actor)
    data = _data_for(action, after_photo)
    before_events = len(events(case))
    try:
        result, applied = transition(user, case, action, **data)
    except ApiError as err:
        db.session.rollback()
        if len(events(case)) != before_events or db.session.get(Case, case.pk).status != status:
            return f"{err.status} {err.code}, but the case changed"
        if (err.status, err.code) != (expected, REFUSALS.get(expected)):
            return f"{err.status} {err.code}, expected {expected} {REFUSALS.get(expected, '')}"
        if expected == 409:
            allowed, want = err.errors.get("allowed"), _expected_allowed(actor, status)
            if allowed != want:
                return f"{err.code} allowed={allowed}, expected {want}"
            if allowed != lifecycle.allowed_actions(user, db.session.get(Case, case.pk)):
                return f"allowed={allowed} is not lifecycle.allowed_actions"
        return None
    if expected != 200:
        return f"succeeded, expected {expected}"
    target = SPEC[action][2]
    target = target.get(status) if isinstance(target, dict) else (target or status)
    if not applied or result.status != target:
        return f"applied={applied} status={result.status}, expected {target}"
    new = events(case)[before_events:]
    got = [(e.kind, e.client_id, e.from_status, e.to_status, e.actor_id, e.actor_role, e.note) for e in new]
    want = [(action, data["id"], status, target, user.id, user.role, data["note"])]
    return None if got == want else f"events {got}, expected {want}"


@pytest.mark.parametrize("action", list(SPEC))
def test_transition_matrix(world, action):
    """Every status × every actor for one action: success exactly when allowed, else 404/403/409."""
    case, people = world["case"], world["people"]
    problems = []
    for status in STATUSES:
        put_in(case, status)
        for actor in ACTORS:
            problem = _try(case, action, status, actor, people[actor], world["after"])
            if problem:
                problems.append(f"{action} on {status} by {actor}: {problem}")
            if problem or _expected(action, status, actor) == 200:
                put_in(case, status)  # undo the change for the next actor (a refusal changes nothing)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_allowed_actions_for_each_actor(world):
    case, people = world["case"], world["people"]
    put_in(case, "accepted")
    assert lifecycle.allowed_actions(people["office"], case) == ["dispatch", "grant_extension"]
    assert lifecycle.allowed_actions(people["lead_liaison"], case) == \
        ["resolve", "request_transfer", "extend"]
    assert lifecycle.allowed_actions(people["other_liaison"], case) == []
    assert lifecycle.allowed_actions(people["reporter"], case) == []


# ── idempotency ──────────────────────────────────────────────────────────────────────────────


def test_same_transition_id_twice_applies_once(world):
    case, liaison = world["case"], world["people"]["lead_liaison"]
    tid = uuid.uuid4()
    first, applied = transition(liaison, case, "accept", id=tid)
    assert applied and first.status == "accepted"
    again, applied = transition(liaison, case, "accept", id=tid)
    assert applied is False and again.pk == case.pk and again.status == "accepted"
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.client_id == tid)) == 1


def test_transition_id_reused_for_another_action_or_case_conflicts(world):
    case, people = world["case"], world["people"]
    liaison = people["lead_liaison"]
    other, _ = new_case(people["reporter"], "a1-vending")
    tid = uuid.uuid4()
    transition(liaison, case, "accept", id=tid)
    err = refused(liaison, case, "request_transfer", id=tid, note="不属于我单位")
    assert (err.status, err.code, err.errors) == (409, "transition_conflict", {"id": [str(tid)]})
    err = refused(liaison, other, "accept", id=tid)
    assert (err.status, err.code) == (409, "transition_conflict")
    assert db.session.get(Case, case.pk).status == "accepted"
    assert db.session.get(Case, other.pk).status == "dispatched"
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.client_id == tid)) == 1


def test_transition_id_of_another_user_conflicts(world):
    case, people = world["case"], world["people"]
    tid = uuid.uuid4()
    put_in(case, "submitted")
    transition(people["office"], case, "dispatch", id=tid, unit="zfj")
    err = refused(people["admin"], case, "dispatch", id=tid, unit="zfj")
    assert (err.status, err.code) == (409, "transition_conflict")
    assert len(events(case, kind="dispatch", client_id=tid)) == 1


def test_retried_transfer_request_answers_though_the_case_left_sight(world):
    case, liaison = world["case"], world["people"]["lead_liaison"]
    tid = uuid.uuid4()
    transition(liaison, case, "request_transfer", id=tid, note="不属于本单位职责")
    again, applied = transition(liaison, case, "request_transfer", id=tid, note="不属于本单位职责")
    assert applied is False and again.pk == case.pk and again.status == "submitted"
    assert len(events(case, kind="request_transfer")) == 1


# ── required proof ───────────────────────────────────────────────────────────────────────────


def test_resolve_needs_received_after_photos(world):
    case, people, after = world["case"], world["people"], world["after"]
    liaison = people["lead_liaison"]
    put_in(case, "accepted")
    err = refused(liaison, case, "resolve", note="已清理")
    assert (err.status, err.code) == (422, "after_photo_required")
    # Declared by a phone (a before-photo of another case) but never uploaded.
    _, (unreceived,) = new_case(people["reporter"], photo_bytes=[small_jpeg(color=(1, 2, 3))])
    for name, photo_id in [("before-photo", world["before"].id), ("unreceived", unreceived),
                           ("unknown", uuid.uuid4())]:
        err = refused(liaison, case, "resolve", note="已清理", photos=[after.id, photo_id])
        assert (err.status, err.code) == (422, "photo_not_ready"), name
        assert err.errors == {"photos": [str(photo_id)]}, name
    assert db.session.get(Case, case.pk).status == "accepted" and not events(case, kind="resolve")
    case, _ = transition(liaison, case, "resolve", note="已清理完毕", photos=[after.id])
    assert case.status == "resolved"
    assert events(case, kind="resolve")[-1].data == {"photos": [str(after.id)]}


# Actions that must carry a reason, each from a status and by an actor that may take it.
NEEDS_REASON = [("return", "resolved", "office"), ("reject", "submitted", "office"),
                ("request_transfer", "dispatched", "lead_liaison"),
                ("request_transfer", "accepted", "lead_liaison"), ("extend", "accepted", "lead_liaison"),
                ("reopen", "closed", "office"), ("reopen", "rejected", "office")]


def test_reason_required(world):
    case, people = world["case"], world["people"]
    due = utcnow() + timedelta(days=10)
    for action, status, actor in NEEDS_REASON:
        put_in(case, status)
        for note in ("", "   "):
            err = refused(people[actor], case, action, note=note, due_at=due)
            assert (err.status, err.code, err.errors) == (422, "reason_required", {"note": ["required"]}), \
                (action, status, note)
        assert db.session.get(Case, case.pk).status == status
    assert not [e.kind for e in events(case) if e.kind in {a for a, _, _ in NEEDS_REASON}]


def test_actions_that_need_no_note(world):
    case, people = world["case"], world["people"]
    put_in(case, "dispatched")
    assert transition(people["lead_liaison"], case, "accept")[1]
    assert transition(people["office"], case, "grant_extension", due_at=utcnow() + timedelta(days=9))[1]
    assert transition(people["office"], case, "dispatch", unit="zfj")[1]
    put_in(case, "resolved")
    assert transition(people["office"], case, "verify")[0].status == "closed"


def test_dispatch_away_from_the_suggestion_needs_a_reason(world):
    case, office = world["case"], world["people"]["office"]
    put_in(case, "submitted")
    suggested = routing.route(case.category, case.lat, case.lon).lead_unit
    assert suggested.code == "zfj"
    err = refused(office, case, "dispatch", unit="jdb")
    assert (err.status, err.code, err.errors) == (422, "reason_required", {"note": ["required"]})
    case, applied = transition(office, case, "dispatch", unit="jdb", note="该处属街道保洁范围")
    assert applied and case.status == "dispatched" and case.lead_unit.code == "jdb"
    assert "jdb" not in {u.code for u in case.cooperating_units}
    event = events(case, kind="dispatch")[-1]
    assert event.data["unit"] == "jdb" and event.data["suggested"] == "zfj"
    assert event.note == "该处属街道保洁范围"


def test_dispatch_to_unknown_unit_or_the_office(world):
    case, office = world["case"], world["people"]["office"]
    put_in(case, "submitted")
    assert (unit("cwb").kind, unit("cwb").name) == ("office", "创卫办")
    for code in ["nope", "cwb", None, ""]:
        err = refused(office, case, "dispatch", unit=code, note="改派")
        assert (err.status, err.code) == (422, "unknown_unit"), code
    fresh = db.session.get(Case, case.pk)
    assert fresh.status == "submitted" and fresh.lead_unit.code == "zfj"
    assert not events(case, kind="dispatch", actor_id=office.id)


# ── effects ──────────────────────────────────────────────────────────────────────────────────


def test_return_reworks(world):
    case, office = world["case"], world["people"]["office"]
    put_in(case, "resolved")
    case, _ = transition(office, case, "return", note="整改后照片看不清")
    assert (case.status, case.rework_count) == ("accepted", 1)
    case.status = "resolved"
    db.session.commit()
    case, _ = transition(office, case, "return", note="仍有杂物")
    assert (case.status, case.rework_count) == ("accepted", 2)


def test_request_transfer_goes_back_to_triage(world):
    case, liaison = world["case"], world["people"]["lead_liaison"]
    put_in(case, "accepted")
    case, _ = transition(liaison, case, "request_transfer", note="不属于本单位职责")
    assert case.status == "submitted" and case.due_at is None
    # Back with the office: the liaison no longer sees it.
    err = refused(liaison, case, "accept")
    assert (err.status, err.code) == (404, "case_not_found")


def test_reject_as_duplicate(world):
    people = world["people"]
    original = world["case"]
    copy, _ = new_case(people["reporter"], "a1-other")
    assert copy.status == "submitted"
    for dup in (uuid.uuid4(), copy.id):  # an unknown case, the case itself
        err = refused(people["office"], copy, "reject", note="重复上报", duplicate_of=dup)
        assert (err.status, err.code) == (422, "unknown_case")
    assert db.session.get(Case, copy.pk).status == "submitted"
    copy, _ = transition(people["office"], copy, "reject", note="重复上报", duplicate_of=original.id)
    assert copy.status == "rejected" and copy.due_at is None
    assert copy.duplicate_of.pk == original.pk
    assert events(copy, kind="reject")[-1].data == {"duplicate_of": original.number}


def test_extend_is_a_request(world):
    case, liaison = world["case"], world["people"]["lead_liaison"]
    due = utcnow() + timedelta(days=2)
    put_in(case, "accepted", due)
    wanted = utcnow() + timedelta(days=7)
    case, _ = transition(liaison, case, "extend", note="需协调拆除", due_at=wanted)
    assert case.status == "accepted" and case.due_at == due and case.extension_count == 0
    assert case.extension_request["due_at"] == wanted.isoformat()
    assert case.extension_request["note"] == "需协调拆除"
    assert events(case, kind="extend")[-1].data == {"due_at": wanted.isoformat()}


def test_grant_extension_moves_the_due_date(world):
    case, people = world["case"], world["people"]
    due = utcnow() + timedelta(days=2)
    put_in(case, "dispatched", due)
    wanted = utcnow() + timedelta(days=7)
    transition(people["lead_liaison"], case, "extend", note="需协调拆除", due_at=wanted)
    case, _ = transition(people["office"], case, "grant_extension", due_at=wanted)
    assert case.status == "dispatched" and case.due_at == wanted
    assert case.extension_count == 1 and case.extension_request is None
    assert events(case, kind="grant_extension")[-1].data == {"due_at": wanted.isoformat(),
                                                             "previous": due.isoformat()}


def test_extension_due_date_must_be_later(world):
    case, people = world["case"], world["people"]
    due = utcnow() + timedelta(days=3)
    put_in(case, "accepted", due)
    tries = {"before the current one": due - timedelta(hours=1), "equal to the current one": due,
             "in the past": utcnow() - timedelta(hours=1), "missing": None}
    for action, actor in [("extend", "lead_liaison"), ("grant_extension", "office")]:
        for what, new_due in tries.items():
            err = refused(people[actor], case, action, note="延期", due_at=new_due)
            code = "due_at_required" if new_due is None else "due_at_too_early"
            assert (err.status, err.code) == (422, code), (action, what)
    fresh = db.session.get(Case, case.pk)
    assert fresh.due_at == due and fresh.extension_request is None and fresh.extension_count == 0


def test_reopen_closed_goes_back_to_the_unit_with_a_new_deadline(world):
    case, office = world["case"], world["people"]["office"]
    put_in(case, "closed", utcnow() - timedelta(days=5))
    start = utcnow()
    case, _ = transition(office, case, "reopen", note="问题复发")
    assert case.status == "dispatched" and case.lead_unit.code == "zfj"
    # a1-piling: 3 working days from now, at 18:00 Liuzhou time.
    assert case.due_at > start + timedelta(days=1)
    assert case.due_at.astimezone(SHANGHAI).strftime("%H:%M") == "18:00"
    e = events(case, kind="reopen")[-1]
    assert (e.from_status, e.to_status, e.note) == ("closed", "dispatched", "问题复发")


def test_reopen_rejected_goes_back_to_triage(world):
    case, office = world["case"], world["people"]["office"]
    put_in(case, "rejected")
    case, _ = transition(office, case, "reopen", note="误驳回")
    assert case.status == "submitted"
    e = events(case, kind="reopen")[-1]
    assert (e.from_status, e.to_status) == ("rejected", "submitted")


def test_full_cycle_writes_one_event_per_step(world):
    case, people, after = world["case"], world["people"], world["after"]
    steps = [("lead_liaison", "accept", {}), ("lead_liaison", "resolve", {"photos": [after.id]}),
             ("office", "return", {}), ("lead_liaison", "resolve", {"photos": [after.id]}),
             ("office", "verify", {})]
    start = len(events(case))
    for actor, action, extra in steps:
        transition(people[actor], case, action, note=f"{action} 说明", **extra)
    got = [(e.kind, e.from_status, e.to_status, e.actor_id, e.note) for e in events(case)[start:]]
    assert got == [
        ("accept", "dispatched", "accepted", people["lead_liaison"].id, "accept 说明"),
        ("resolve", "accepted", "resolved", people["lead_liaison"].id, "resolve 说明"),
        ("return", "resolved", "accepted", people["office"].id, "return 说明"),
        ("resolve", "accepted", "resolved", people["lead_liaison"].id, "resolve 说明"),
        ("verify", "resolved", "closed", people["office"].id, "verify 说明"),
    ]
    assert db.session.get(Case, case.pk).rework_count == 1


def test_case_keeps_its_first_dispatch_and_last_resolve_time(world):
    """The evaluation reads these two times from the case; they must match the events."""
    case, people, after = world["case"], world["people"], world["after"]
    dispatch_at = events(case, kind="dispatch")[0].at  # the auto-dispatch at creation
    assert case.dispatched_at == dispatch_at and case.resolved_at is None
    transition(people["lead_liaison"], case, "request_transfer", note="不归我们管")
    transition(people["office"], case, "dispatch", unit="zfj", note="仍由执法局处理")
    assert db.session.get(Case, case.pk).dispatched_at == dispatch_at  # a re-dispatch keeps the first
    for actor, action, extra in [("lead_liaison", "accept", {}), ("lead_liaison", "resolve", {"photos": [after.id]}),
                                 ("office", "return", {}), ("lead_liaison", "resolve", {"photos": [after.id]})]:
        transition(people[actor], case, action, note=f"{action} 说明", **extra)
    resolves = events(case, kind="resolve")
    assert len(resolves) == 2 and resolves[0].at < resolves[1].at
    assert db.session.get(Case, case.pk).resolved_at == resolves[1].at  # the last resolve counts


# ── deadlines at dispatch ────────────────────────────────────────────────────────────────────


def test_library_knows_the_2026_national_day():
    assert all(chinese_calendar.is_holiday(date(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(date(2026, 10, 8)) and chinese_calendar.is_workday(date(2026, 10, 9))
    assert date(2026, 10, 10).weekday() == 5 and chinese_calendar.is_workday(date(2026, 10, 10))
    assert chinese_calendar.is_holiday(date(2026, 10, 11))


def test_due_date_at_dispatch_across_national_day(world, monkeypatch):
    people = world["people"]
    now = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)
    expectations = [
        ("a1-piling", datetime(2026, 10, 10, 18, 0, tzinfo=SHANGHAI)),   # 3 wd: Oct 8, 9, Sat 10 (调休)
        ("a1-other", datetime(2026, 10, 13, 18, 0, tzinfo=SHANGHAI)),    # 5 wd: …, Sun 11 off, Mon 12, Tue 13
        ("a1-vending", datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)),   # 24 h: clock hours, holiday or not
    ]
    cases = [(new_case(people["reporter"], code)[0], due) for code, due in expectations]
    monkeypatch.setattr(lifecycle, "utcnow", lambda: now)
    for case, expected in cases:
        put_in(case, "submitted")
        case, _ = transition(people["office"], case, "dispatch", unit="zfj")
        assert case.due_at == expected, case.category.code
        e = events(case, kind="dispatch")[-1]
        assert e.at == now and e.data["due_at"] == expected.astimezone(timezone.utc).isoformat()
    assert cases[2][0].due_at - now == timedelta(hours=24)


# ── overdue queries ──────────────────────────────────────────────────────────────────────────


def test_overdue_and_due_soon_clauses(world):
    reporter = world["people"]["reporter"]
    now = utcnow()
    spec = {
        "late_dispatched": ("dispatched", now - timedelta(hours=1)),
        "late_accepted": ("accepted", now - timedelta(days=3)),
        "late_resolved": ("resolved", now - timedelta(hours=1)),
        "late_closed": ("closed", now - timedelta(days=2)),
        "due_in_5h": ("dispatched", now + timedelta(hours=5)),
        "due_in_30h": ("accepted", now + timedelta(hours=30)),
        "resolved_in_5h": ("resolved", now + timedelta(hours=5)),
        "submitted": ("submitted", None),
    }
    names = {}
    for name, (status, due) in spec.items():
        case, _ = new_case(reporter, "a1-piling")
        case.status, case.due_at = status, due
        names[case.pk] = name
    put_in(world["case"], "submitted")

    def selected(clause):
        return {names.get(pk, "world") for pk in db.session.execute(select(Case.pk).where(clause)).scalars()}

    assert selected(lifecycle.overdue_clause(now)) == {"late_dispatched", "late_accepted"}
    assert selected(lifecycle.overdue_clause()) == {"late_dispatched", "late_accepted"}
    assert selected(lifecycle.due_soon_clause(24, now)) == {"due_in_5h"}
    assert selected(lifecycle.due_soon_clause(24)) == {"due_in_5h"}
    assert selected(lifecycle.due_soon_clause(48, now)) == {"due_in_5h", "due_in_30h"}
