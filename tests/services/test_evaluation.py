"""Evaluation for a period (综合考评): counts, rates, median hours, weighted score, ranking, per-action
rows and the weekly trend, each worked out by hand from a set of cases built here.

How the cases are built: each is created by `sync.upsert_case` (as a phone's PUT does; categories
with auto-dispatch are dispatched at once to their lead unit) and moved on by
`lifecycle.apply_transition` with the users who may take each step (the unit's liaison for accept /
resolve / extend, the office for verify / return / grant_extension / reject). Resolving needs a
received after-photo: for that a Photo row with role='after' and received_at set is added directly
(the bytes play no part in the evaluation; photo ingest is tested elsewhere). The before-photos are
only declared, never uploaded. Then, since every step ran "now", the times are rewritten directly in
the database: the case's received_at, the time of each event (its create and auto-dispatch events get
the receipt time), and due_at — written out below for every case.

Definitions read from server/services/evaluation.py (what the arithmetic below follows):
  · the period [start, end) selects cases by received_at; only cases now in dispatched / accepted /
    resolved / closed count as assigned (submitted and rejected do not);
  · a case belongs to its lead unit and to its category's action;
  · closed = status closed; closed on time = closed and the LAST resolve event at or before due_at;
  · open overdue = status dispatched or accepted and due_at before as_of = min(now, end);
  · returned = rework_count > 0; extended = extension_count > 0 (a granted extension);
  · closure rate = closed / assigned; on-time rate = closed on time / assigned;
    rework rate = returned / cases resolved at least once; overdue rate = open overdue / assigned;
    extension rate = extended / assigned; every rate rounded to 4 places;
  · hours to resolve = last resolve − first dispatch; the median rounded to 1 place;
  · score = Σ weight × (rate, or 1 − rate for rework / overdue / extension) × 100 / Σ weights,
    rounded to 1 place; a rate with nothing behind it (None) counts as perfect;
  · units with fewer than EVALUATION_MIN_CASES assigned cases get figures, ranked False and rank None,
    listed after the ranked ones by unit code; ranked units are ordered by score, then unit code;
  · the trend counts per local Monday-starting week the cases received (any status) and the verify
    events (closures), both within the period.
"""
import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from server.extensions import db
from server.models import Event, Photo, User
from server.models.types import utcnow
from server.schemas import CaseIn
from server.services import auth, evaluation, lifecycle, sync

from ..helpers import case_body, declare

CST = ZoneInfo("Asia/Shanghai")


def T(day, hour, minute=0):
    """A local (Asia/Shanghai) time in March 2026. 2026-03-02 and 2026-03-09 are Mondays."""
    return datetime(2026, 3, day, hour, minute, tzinfo=CST)


# The period: the local days 2026-03-02 … 2026-03-15, i.e. [03-02 00:00, 03-16 00:00) Shanghai time.
START, END = T(2, 0), T(16, 0)
LATER = T(20, 12)  # "now" after the period: as_of = END

ZFJ, JDB, GHJ, GSS = "zfj", "jdb", "ghj", "gss"
UNIT_NAMES = {ZFJ: "市执法局北部分局", JDB: "阳和街道办事处", GHJ: "规划建设环保局", GSS: "阳和工商所"}
ACTION_NAMES = {1: "市容环境卫生专项整治行动", 2: "城中村及城乡结合部专项整治行动",
                3: "农贸市场环境问题整治行动", 4: "建筑工地（待建工地）专项整治行动"}
OFFICE_STEPS = ("dispatch", "verify", "return", "grant_extension", "reject", "reopen")


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch):
    """Users are made per test and (but for the API test's tokens) never sign in; scrypt is slow."""
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"))


class Builder:
    """Makes cases through the real services, then sets their times (see the module docstring)."""

    def __init__(self, make_user):
        self.make_user = make_user
        self.office = self._user("office")
        self.inspector = self._user("inspector")
        self.liaisons = {}

    def _user(self, role, unit=None):
        return db.session.get(User, self.make_user(role, unit=unit)[0])

    def liaison(self, case):
        code = case.lead_unit.code
        if code not in self.liaisons:
            self.liaisons[code] = self._user("liaison", code)
        return self.liaisons[code]

    def _after_photo(self, case):
        """A received after-photo row (written directly: its bytes do not matter here)."""
        digest = uuid.uuid4().hex * 2
        photo = Photo(id=uuid.uuid4(), case_pk=case.pk, role="after", position=50,
                      declared_sha256=digest, declared_size=1000, declared_content_type="image/jpeg",
                      received_at=utcnow(), sha256=digest, size=1000, content_type="image/jpeg")
        db.session.add(photo)
        db.session.commit()
        return photo

    def case(self, category, received, due=None, steps=()):
        """Create a case, take `steps` [(action, local time)], then set received_at, the event times
        and (if given) due_at. Returns the case."""
        decl = declare(uuid.uuid4().bytes)
        data = CaseIn().load(case_body(category, [decl], captured_at=received))
        case, created = sync.upsert_case(self.inspector, uuid.uuid4(), data)
        assert created
        after = None
        for n, (action, at) in enumerate(steps):
            body = {"id": uuid.uuid4(), "action": action, "note": f"说明 {action}", "photos": [],
                    "unit": None, "due_at": None, "duplicate_of": None}
            if action == "resolve":
                after = after or self._after_photo(case)
                body["photos"] = [after.id]
            if action in ("extend", "grant_extension"):
                body["due_at"] = utcnow() + timedelta(days=60 + n)  # must be in the real future
            user = self.office if action in OFFICE_STEPS else self.liaison(case)
            case, applied = lifecycle.apply_transition(user, case.id, body)
            assert applied
            event = db.session.execute(select(Event).where(Event.client_id == body["id"])).scalar_one()
            event.at = at.astimezone(CST)
        for event in db.session.execute(select(Event).where(
                Event.case_pk == case.pk, Event.client_id.is_(None))).scalars():
            assert event.kind in ("create", "dispatch")  # the creation and the auto-dispatch
            event.at = received
        case.received_at = received
        if due is not None:
            case.due_at = due
        # The lifecycle stamped the case at the real moment of each step; move those stamps with
        # the events: the first dispatch and the last resolve.
        times = {kind: sorted(e.at for e in db.session.execute(select(Event).where(
            Event.case_pk == case.pk, Event.kind == kind)).scalars()) for kind in ("dispatch", "resolve")}
        assert bool(times["dispatch"]) == (case.dispatched_at is not None)
        assert bool(times["resolve"]) == (case.resolved_at is not None)
        case.dispatched_at = times["dispatch"][0] if times["dispatch"] else None
        case.resolved_at = times["resolve"][-1] if times["resolve"] else None
        db.session.commit()
        return case


@pytest.fixture
def world(app_ctx, make_user):
    """The cases below, by unit. Hours to resolve = last resolve − dispatch (dispatch = receipt here)."""
    b = Builder(make_user)
    cases = {}

    # ── 市执法局北部分局 (zfj), a1-piling, action 1: five assigned cases ────────────────────────
    # A1 closed on time: resolved 03-03 09:00 ≤ due 03-05 18:00; 24 h after dispatch.
    cases["A1"] = b.case("a1-piling", T(2, 9), T(5, 18), [
        ("accept", T(2, 10)), ("resolve", T(3, 9)), ("verify", T(3, 15))])
    # A2 closed late: resolved 03-08 20:00 > due 03-06 18:00; 03-03 09:00 → 03-08 20:00 = 131 h.
    #    Verified at 03-09 00:15 local — Monday locally, still Sunday in UTC (trend week 03-09).
    cases["A2"] = b.case("a1-piling", T(3, 9), T(6, 18), [
        ("accept", T(3, 10)), ("resolve", T(8, 20)), ("verify", T(9, 0, 15))])
    # A3 extension and a return, then closed on time against the extended due date:
    #    requested 03-05 10:00, granted 03-05 11:00 (due 03-09 18:00 → 03-12 18:00, set directly below);
    #    resolved 03-06 08:00, returned 03-06 10:00 (rework 1), resolved again 03-10 14:00 ≤ 03-12 18:00,
    #    verified 03-10 16:00. Hours: first dispatch 03-04 08:00 → last resolve 03-10 14:00 = 150 h.
    cases["A3"] = b.case("a1-piling", T(4, 8), T(12, 18), [
        ("accept", T(4, 9)), ("extend", T(5, 10)), ("grant_extension", T(5, 11)),
        ("resolve", T(6, 8)), ("return", T(6, 10)), ("resolve", T(10, 14)), ("verify", T(10, 16))])
    # A4 accepted, never resolved, due 03-10 18:00 < as_of: open overdue.
    cases["A4"] = b.case("a1-piling", T(5, 9), T(10, 18), [("accept", T(5, 10))])
    # A6 resolved, awaiting verification (not closed, not overdue): received Sunday 03-08 23:30
    #    local (trend week 03-02), resolved 03-09 23:30 = 24 h.
    cases["A6"] = b.case("a1-piling", T(8, 23, 30), T(11, 18), [
        ("accept", T(9, 8)), ("resolve", T(9, 23, 30))])

    # ── 阳和街道办事处 (jdb), 24-hour categories: a2-garbage (action 2), a1-cleaning (action 1) ─────
    # B1 received Monday 03-09 00:30 local (Sunday in UTC: trend week 03-09); resolved 06:30 = 6 h.
    cases["B1"] = b.case("a2-garbage", T(9, 0, 30), T(10, 0, 30), [
        ("accept", T(9, 1)), ("resolve", T(9, 6, 30)), ("verify", T(9, 10))])
    # B2 resolved 03-10 20:00 (12 h) ≤ due 03-11 08:00, verified after the due time, 03-11 09:00:
    #    on time all the same (the last resolve counts, not the verification).
    cases["B2"] = b.case("a2-garbage", T(10, 8), T(11, 8), [
        ("accept", T(10, 9)), ("resolve", T(10, 20)), ("verify", T(11, 9))])
    # B3 (a1-cleaning) resolved 03-12 10:00 > due 03-12 08:00: closed late; 26 h.
    cases["B3"] = b.case("a1-cleaning", T(11, 8), T(12, 8), [
        ("accept", T(11, 9)), ("resolve", T(12, 10)), ("verify", T(12, 11))])
    # B4 dispatched only, due 03-13 08:00: open overdue as of END (but not as of 03-13 07:00).
    cases["B4"] = b.case("a2-garbage", T(12, 8), T(13, 8))

    # ── 规划建设环保局 (ghj), a4-dust (24 h), action 4: three cases, all closed on time ───────────
    # C1 received 03-02 07:30 local = 03-01 23:30 UTC: inside the period only in local days. 2 h.
    cases["C1"] = b.case("a4-dust", T(2, 7, 30), T(3, 7, 30), [
        ("accept", T(2, 8)), ("resolve", T(2, 9, 30)), ("verify", T(2, 15))])
    cases["C2"] = b.case("a4-dust", T(3, 10), T(4, 10), [  # 4 h
        ("accept", T(3, 11)), ("resolve", T(3, 14)), ("verify", T(3, 16))])
    cases["C3"] = b.case("a4-dust", T(13, 10), T(14, 10), [  # 10 h
        ("accept", T(13, 11)), ("resolve", T(13, 20)), ("verify", T(13, 21))])

    # ── 阳和工商所 (gss), a3-garbage (24 h), action 3: two cases, below the minimum of three ─────
    cases["D1"] = b.case("a3-garbage", T(4, 9), T(5, 9), [  # on time, 3 h
        ("accept", T(4, 10)), ("resolve", T(4, 12)), ("verify", T(4, 14))])
    # D2 accepted, due 03-16 10:00: after END, so not overdue although "now" (03-20) is later.
    cases["D2"] = b.case("a3-garbage", T(15, 10), T(16, 10), [("accept", T(15, 11))])

    # ── cases that must not count as assigned ───────────────────────────────────────────────
    # X1 received 03-01 23:30 local (before the period), closed — but its verification on 03-02 10:00
    #    is a closure within the period (trend week 03-02).
    cases["X1"] = b.case("a1-piling", T(1, 23, 30), T(4, 18), [
        ("accept", T(2, 0, 10)), ("resolve", T(2, 8)), ("verify", T(2, 10))])
    # X2 received 03-16 00:30 local (= 03-15 16:30 UTC): after the period.
    cases["X2"] = b.case("a1-piling", T(16, 0, 30), T(19, 18))
    # X3 submitted (a1-other is not auto-dispatched), received 03-06: found, not assigned.
    cases["X3"] = b.case("a1-other", T(6, 12))
    # X4 rejected, received 03-11: found, not assigned.
    cases["X4"] = b.case("a1-other", T(11, 12), None, [("reject", T(11, 13))])

    expected_status = {"A1": "closed", "A2": "closed", "A3": "closed", "A4": "accepted", "A6": "resolved",
                       "B1": "closed", "B2": "closed", "B3": "closed", "B4": "dispatched",
                       "C1": "closed", "C2": "closed", "C3": "closed", "D1": "closed", "D2": "accepted",
                       "X1": "closed", "X2": "dispatched", "X3": "submitted", "X4": "rejected"}
    for key, case in cases.items():
        db.session.refresh(case)
        assert case.status == expected_status[key], key
    assert [cases[k].lead_unit.code for k in ("A1", "B3", "C1", "D1", "X3")] == [ZFJ, JDB, GHJ, GSS, ZFJ]
    assert (cases["A3"].rework_count, cases["A3"].extension_count) == (1, 1)
    return cases


def unit_row(code, ranked, rank, **m):
    return {"unit": {"code": code, "name": UNIT_NAMES[code]}, **m, "ranked": ranked, "rank": rank}


def metrics(assigned, closed, closed_on_time, open_overdue, returned, extended, closure_rate, on_time_rate,
            rework_rate, overdue_rate, extension_rate, median_hours_to_resolve, score):
    return dict(assigned=assigned, closed=closed, closed_on_time=closed_on_time, open_overdue=open_overdue,
                returned=returned, extended=extended, closure_rate=closure_rate, on_time_rate=on_time_rate,
                rework_rate=rework_rate, overdue_rate=overdue_rate, extension_rate=extension_rate,
                median_hours_to_resolve=median_hours_to_resolve, score=score)


# zfj: A1 A2 A3 A4 A6 → assigned 5; closed 3 (A1 A2 A3); on time 2 (A1 A3); open overdue 1 (A4);
#   returned 1 (A3); extended 1 (A3); resolved at least once 4 (A1 A2 A3 A6).
#   closure 3/5 = 0.6 · on time 2/5 = 0.4 · rework 1/4 = 0.25 · overdue 1/5 = 0.2 · extension 1/5 = 0.2
#   hours 24, 131, 150, 24 → sorted 24 24 131 150 → median (24 + 131) / 2 = 77.5
#   score 30×0.6 + 20×0.4 + 20×(1−0.25) + 20×(1−0.2) + 10×(1−0.2) = 18 + 8 + 15 + 16 + 8 = 65.0
ZFJ_M = metrics(5, 3, 2, 1, 1, 1, 0.6, 0.4, 0.25, 0.2, 0.2, 77.5, 65.0)
# jdb: B1 B2 B3 B4 → assigned 4; closed 3; on time 2 (B1 B2); open overdue 1 (B4); returned 0; extended 0;
#   resolved 3. closure 3/4 = 0.75 · on time 2/4 = 0.5 · rework 0/3 = 0.0 · overdue 1/4 = 0.25 · ext 0.0
#   hours 6, 12, 26 → median 12.0
#   score 30×0.75 + 20×0.5 + 20×1 + 20×0.75 + 10×1 = 22.5 + 10 + 20 + 15 + 10 = 77.5
JDB_M = metrics(4, 3, 2, 1, 0, 0, 0.75, 0.5, 0.0, 0.25, 0.0, 12.0, 77.5)
# ghj: C1 C2 C3, all closed on time; hours 2, 4, 10 → median 4.0; every term full → 100.0
GHJ_M = metrics(3, 3, 3, 0, 0, 0, 1.0, 1.0, 0.0, 0.0, 0.0, 4.0, 100.0)
# gss: D1 (closed on time, 3 h), D2 (accepted, due after END) → assigned 2; closed 1; on time 1;
#   overdue 0; resolved 1. closure 0.5 · on time 0.5 · rework 0/1 = 0.0 · overdue 0.0 · ext 0.0
#   score 30×0.5 + 20×0.5 + 20 + 20 + 10 = 15 + 10 + 50 = 75.0
GSS_M = metrics(2, 1, 1, 0, 0, 0, 0.5, 0.5, 0.0, 0.0, 0.0, 3.0, 75.0)


def test_units_by_hand_ranked_by_score(app, world):
    assert app.config["EVALUATION_MIN_CASES"] == 5  # the default; 3 for the worked example
    app.config["EVALUATION_MIN_CASES"] = 3
    result = evaluation.evaluate(START, END, now=LATER)
    assert result["from"] == START.isoformat() and result["to"] == END.isoformat()
    assert result["weights"] == {"closure": 30, "on_time": 20, "rework": 20, "overdue": 20, "extension": 10}
    assert result["min_cases"] == 3
    # Ranked by score: ghj 100.0 > jdb 77.5 > zfj 65.0; gss has 2 < 3 cases: figures, no rank, last.
    assert result["units"] == [
        unit_row(GHJ, True, 1, **GHJ_M),
        unit_row(JDB, True, 2, **JDB_M),
        unit_row(ZFJ, True, 3, **ZFJ_M),
        unit_row(GSS, False, None, **GSS_M),
    ]

    # With the default minimum of 5, only zfj (5 cases) is ranked: rank 1. The others follow
    # unranked, by unit code (ghj, gss, jdb).
    app.config["EVALUATION_MIN_CASES"] = 5
    result = evaluation.evaluate(START, END, now=LATER)
    assert result["min_cases"] == 5
    assert [(u["unit"]["code"], u["ranked"], u["rank"], u["score"]) for u in result["units"]] == [
        (ZFJ, True, 1, 65.0), (GHJ, False, None, 100.0), (GSS, False, None, 75.0), (JDB, False, None, 77.5)]


def test_totals_actions_and_overdue_as_of(app, world):
    app.config["EVALUATION_MIN_CASES"] = 3
    result = evaluation.evaluate(START, END, now=LATER)
    # Totals over the 14 assigned cases (5 + 4 + 3 + 2): closed 3+3+3+1 = 10; on time 2+2+3+1 = 8;
    #   overdue 1+1 = 2 (A4, B4); returned 1; extended 1; resolved 4+3+3+1 = 11.
    #   closure 10/14 = 0.7143 · on time 8/14 = 0.5714 · rework 1/11 = 0.0909 · overdue 2/14 = 0.1429
    #   · extension 1/14 = 0.0714
    #   hours 2 3 4 6 10 12 24 24 26 131 150 → 11 values, the 6th: 12.0
    #   score 30×0.7143 + 20×0.5714 + 20×0.9091 + 20×0.8571 + 10×0.9286
    #       = 21.429 + 11.428 + 18.182 + 17.142 + 9.286 = 77.467 → 77.5
    assert result["totals"] == metrics(14, 10, 8, 2, 1, 1, 0.7143, 0.5714, 0.0909, 0.1429, 0.0714, 12.0, 77.5)

    # Action 1 = A1 A2 A3 A4 A6 (a1-piling, zfj) + B3 (a1-cleaning, jdb): assigned 6; closed 4
    #   (A1 A2 A3 B3); on time 2 (A1 A3); overdue 1 (A4); returned 1; extended 1; resolved 5.
    #   closure 4/6 = 0.6667 · on time 2/6 = 0.3333 · rework 1/5 = 0.2 · overdue 1/6 = 0.1667 · ext 0.1667
    #   hours 24 24 26 131 150 → median 26.0
    #   score 30×0.6667 + 20×0.3333 + 20×0.8 + 20×0.8333 + 10×0.8333
    #       = 20.001 + 6.666 + 16 + 16.666 + 8.333 = 67.666 → 67.7
    a1 = metrics(6, 4, 2, 1, 1, 1, 0.6667, 0.3333, 0.2, 0.1667, 0.1667, 26.0, 67.7)
    # Action 2 = B1 B2 B4: assigned 3; closed 2; on time 2; overdue 1; resolved 2.
    #   closure 0.6667 · on time 0.6667 · rework 0/2 = 0.0 · overdue 0.3333 · ext 0.0; hours 6, 12 → 9.0
    #   score 30×0.6667 + 20×0.6667 + 20 + 20×0.6667 + 10 = 20.001 + 13.334 + 20 + 13.334 + 10 = 76.669 → 76.7
    a2 = metrics(3, 2, 2, 1, 0, 0, 0.6667, 0.6667, 0.0, 0.3333, 0.0, 9.0, 76.7)
    # Action 3 = D1 D2 (the gss figures); action 4 = C1 C2 C3 (the ghj figures). No rank for actions.
    assert result["actions"] == [
        {"action": {"id": 1, "name": ACTION_NAMES[1]}, **a1},
        {"action": {"id": 2, "name": ACTION_NAMES[2]}, **a2},
        {"action": {"id": 3, "name": ACTION_NAMES[3]}, **GSS_M},
        {"action": {"id": 4, "name": ACTION_NAMES[4]}, **GHJ_M},
    ]

    # Overdue is counted as of min(now, END).
    # now = 03-13 07:00: A4 (due 03-10 18:00) is overdue; B4 (due 03-13 08:00) is not yet.
    result = evaluation.evaluate(START, END, now=T(13, 7))
    units = {u["unit"]["code"]: u for u in result["units"]}
    assert (units[ZFJ]["open_overdue"], units[JDB]["open_overdue"]) == (1, 0)
    assert units[JDB]["overdue_rate"] == 0.0
    # jdb: 22.5 + 10 + 20 + 20×(1−0) + 10 = 82.5
    assert units[JDB]["score"] == 82.5
    assert result["totals"]["open_overdue"] == 1
    # now after the period: as of END, when D2 (due 03-16 10:00) is not overdue yet.
    result = evaluation.evaluate(START, END, now=T(20, 12))
    assert {u["unit"]["code"]: u["open_overdue"] for u in result["units"]} == {ZFJ: 1, JDB: 1, GHJ: 0, GSS: 0}


def test_trend_and_what_the_period_selects(world):
    result = evaluation.evaluate(START, END, now=LATER)
    # Found = received in the period, any status (local Monday-starting weeks):
    #   week 03-02 (03-02 … 03-08): A1 A2 A3 A4 A6(Sun 23:30) C1(03-02 07:30) C2 D1 X3 = 9
    #   week 03-09 (03-09 … 03-15): B1(Mon 00:30) B2 B3 B4 C3 D2 X4 = 7       (X1, X2 outside)
    # Closed = verify events in the period:
    #   week 03-02: C1 03-02, X1 03-02, A1 03-03, C2 03-03, D1 03-04 = 5
    #   week 03-09: A2 (Mon 00:15), B1 03-09, A3 03-10, B2 03-11, B3 03-12, C3 03-13 = 6
    assert result["trend"] == [{"week": "2026-03-02", "found": 9, "closed": 5},
                               {"week": "2026-03-09", "found": 7, "closed": 6}]
    # One local week alone.
    assert evaluation.weekly_trend(T(9, 0), END) == [{"week": "2026-03-09", "found": 7, "closed": 6}]

    # Cases received outside the period, and submitted / rejected ones, are not assigned.
    # 03-01 (local): only X1 was received that day → one assigned, closed case of zfj.
    day = evaluation.evaluate(T(1, 0), T(2, 0), now=LATER)
    assert day["totals"]["assigned"] == 1 and day["totals"]["closed"] == 1
    assert [u["unit"]["code"] for u in day["units"]] == [ZFJ]
    # 03-06: only X3 (submitted) → nothing assigned, no unit, no action; but it was found.
    day = evaluation.evaluate(T(6, 0), T(7, 0), now=LATER)
    assert day["units"] == [] and day["actions"] == []
    assert day["totals"]["assigned"] == 0 and day["totals"]["score"] is None
    assert day["totals"]["closure_rate"] is None and day["totals"]["median_hours_to_resolve"] is None
    assert day["trend"] == [{"week": "2026-03-02", "found": 1, "closed": 0}]
    # 03-11: B3 and X4 (rejected) → only B3 is assigned.
    day = evaluation.evaluate(T(11, 0), T(12, 0), now=LATER)
    assert day["totals"]["assigned"] == 1
    assert [(u["unit"]["code"], u["assigned"]) for u in day["units"]] == [(JDB, 1)]
    # 03-16 (the day after the period): X2 alone.
    day = evaluation.evaluate(T(16, 0), T(17, 0), now=LATER)
    assert [(u["unit"]["code"], u["assigned"]) for u in day["units"]] == [(ZFJ, 1)]
    # The whole period: X1 … X4 are in no count (14 assigned, as worked out above).
    assert evaluation.evaluate(START, END, now=LATER)["totals"]["assigned"] == 14


def test_weights_from_config_change_the_score(app, world):
    app.config["EVALUATION_MIN_CASES"] = 3
    # Everything on the overdue rate: score = 100 × (1 − overdue rate).
    app.config["EVALUATION_WEIGHTS"] = {"closure": 0, "on_time": 0, "rework": 0, "overdue": 100, "extension": 0}
    result = evaluation.evaluate(START, END, now=LATER)
    # zfj 100×(1−0.2) = 80.0; jdb 100×(1−0.25) = 75.0; ghj 100.0; gss 100.0 (unranked).
    # The ranking changes: zfj now comes before jdb.
    assert [(u["unit"]["code"], u["rank"], u["score"]) for u in result["units"]] == [
        (GHJ, 1, 100.0), (ZFJ, 2, 80.0), (JDB, 3, 75.0), (GSS, None, 100.0)]
    # Everything on rework: jdb and ghj tie at 100.0 and are ordered by unit code; zfj 100×0.75 = 75.0.
    app.config["EVALUATION_WEIGHTS"] = {"closure": 0, "on_time": 0, "rework": 1, "overdue": 0, "extension": 0}
    result = evaluation.evaluate(START, END, now=LATER)
    assert [(u["unit"]["code"], u["rank"], u["score"]) for u in result["units"]] == [
        (GHJ, 1, 100.0), (JDB, 2, 100.0), (ZFJ, 3, 75.0), (GSS, None, 100.0)]
    # A partial setting is merged with the defaults: closure 60, the others 20/20/20/10 (Σ 130).
    app.config["EVALUATION_WEIGHTS"] = {"closure": 60}
    result = evaluation.evaluate(START, END, now=LATER)
    assert result["weights"] == {"closure": 60, "on_time": 20, "rework": 20, "overdue": 20, "extension": 10}
    scores = {u["unit"]["code"]: u["score"] for u in result["units"]}
    # zfj (60×0.6 + 20×0.4 + 20×0.75 + 20×0.8 + 10×0.8) × 100/130 = (36+8+15+16+8) × 100/130 = 8300/130 = 63.846 → 63.8
    # jdb (60×0.75 + 10 + 20 + 15 + 10) × 100/130 = 10000/130 = 76.923 → 76.9
    # ghj 130 × 100/130 = 100.0; gss (30 + 10 + 20 + 20 + 10) × 100/130 = 9000/130 = 69.231 → 69.2
    assert scores == {ZFJ: 63.8, JDB: 76.9, GHJ: 100.0, GSS: 69.2}


def test_evaluation_api_uses_local_days(app, client, world, make_user):
    app.config["EVALUATION_MIN_CASES"] = 3
    _, office = make_user("office")
    r = client.get("/api/evaluation", query_string={"from": "2026-03-02", "to": "2026-03-15"}, headers=office)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    # [03-02 00:00, 03-16 00:00) Shanghai time: C1 (03-01 23:30 UTC) is in, X2 (03-15 16:30 UTC) is out.
    assert body["from"] == "2026-03-02T00:00:00+08:00" and body["to"] == "2026-03-16T00:00:00+08:00"
    assert body["totals"]["assigned"] == 14
    # The real "now" is after the period, so the figures are those computed as of END above.
    assert body["units"] == as_json(evaluation.evaluate(START, END, now=LATER)["units"])
    one_day = client.get("/api/evaluation", query_string={"from": "2026-03-16", "to": "2026-03-16"},
                         headers=office).get_json()
    assert [(u["unit"]["code"], u["assigned"]) for u in one_day["units"]] == [(ZFJ, 1)]  # X2

    bad = client.get("/api/evaluation", query_string={"from": "2026-03-15", "to": "2026-03-02"}, headers=office)
    assert bad.status_code == 422 and "to" in str(bad.get_json())
    assert client.get("/api/evaluation", query_string={"from": "2026-03-02"}, headers=office).status_code == 422
    assert client.get("/api/evaluation", query_string={"from": "2026-03-02", "to": "2026-03-15"}).status_code == 401
    for role, unit in (("inspector", None), ("liaison", "zfj")):
        headers = make_user(role, unit=unit)[1]
        r = client.get("/api/evaluation", query_string={"from": "2026-03-02", "to": "2026-03-15"},
                       headers=headers)
        assert r.status_code == 403, role


def as_json(value):
    """What jsonify makes of a value."""
    return json.loads(json.dumps(value))
