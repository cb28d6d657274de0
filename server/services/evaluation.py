"""Unit and action evaluation for a period (综合考评): rates, a weighted score and a ranking."""
import statistics
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Action, Case, Event, Unit
from ..models.types import utcnow

ASSIGNED_STATUSES = ("dispatched", "accepted", "resolved", "closed")
# Default weights in district practice: 处置率 30, 按期处置率 20, 1−返工率 20, 1−超期率 20, 1−延期率 10.
DEFAULT_WEIGHTS = {"closure": 30, "on_time": 20, "rework": 20, "overdue": 20, "extension": 10}


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def _case_rows(start, end):
    """Assigned cases received in [start, end) with the times of their first dispatch and last resolve."""
    first_dispatch = (select(Event.case_pk, func.min(Event.at).label("at"))
                      .where(Event.kind == "dispatch").group_by(Event.case_pk).subquery())
    last_resolve = (select(Event.case_pk, func.max(Event.at).label("at"))
                    .where(Event.kind == "resolve").group_by(Event.case_pk).subquery())
    q = (select(Case.pk, Case.lead_unit_id, Case.action_id, Case.status, Case.due_at, Case.rework_count,
                Case.extension_count, first_dispatch.c.at.label("dispatched_at"),
                last_resolve.c.at.label("resolved_at"))
         .outerjoin(first_dispatch, first_dispatch.c.case_pk == Case.pk)
         .outerjoin(last_resolve, last_resolve.c.case_pk == Case.pk)
         .where(Case.received_at >= start, Case.received_at < end, Case.status.in_(ASSIGNED_STATUSES)))
    return db.session.execute(q).all()


def _metrics(rows, as_of, weights):
    assigned = len(rows)
    closed = [r for r in rows if r.status == "closed"]
    resolved_once = [r for r in rows if r.resolved_at is not None]
    on_time = [r for r in closed if r.resolved_at is not None and r.due_at is not None and r.resolved_at <= r.due_at]
    overdue = [r for r in rows if r.status in ("dispatched", "accepted") and r.due_at is not None
               and r.due_at < as_of]
    returned = [r for r in rows if r.rework_count > 0]
    extended = [r for r in rows if r.extension_count > 0]
    hours = [(r.resolved_at - r.dispatched_at).total_seconds() / 3600 for r in resolved_once if r.dispatched_at is not None]
    m = {"assigned": assigned, "closed": len(closed), "closed_on_time": len(on_time),
         "open_overdue": len(overdue), "returned": len(returned), "extended": len(extended),
         "closure_rate": _rate(len(closed), assigned), "on_time_rate": _rate(len(on_time), assigned),
         "rework_rate": _rate(len(returned), len(resolved_once)),
         "overdue_rate": _rate(len(overdue), assigned), "extension_rate": _rate(len(extended), assigned),
         "median_hours_to_resolve": round(statistics.median(hours), 1) if hours else None}
    m["score"] = score(m, weights) if assigned else None
    return m


def score(m, weights):
    """Weighted points out of 100; a rate with no cases behind it counts as perfect."""
    def good(rate, inverse=False):
        if rate is None:
            return 1.0
        return 1 - rate if inverse else rate
    total = (weights["closure"] * good(m["closure_rate"]) + weights["on_time"] * good(m["on_time_rate"])
             + weights["rework"] * good(m["rework_rate"], True)
             + weights["overdue"] * good(m["overdue_rate"], True)
             + weights["extension"] * good(m["extension_rate"], True))
    return round(total * 100 / sum(weights.values()), 1)


def evaluate(start, end, now=None):
    """{period, weights, min_cases, units: [...ranked], actions: [...], trend: [...]} for [start, end)."""
    cfg = current_app.config
    weights = {**DEFAULT_WEIGHTS, **cfg.get("EVALUATION_WEIGHTS", {})}
    min_cases = cfg.get("EVALUATION_MIN_CASES", 5)
    as_of = min(now or utcnow(), end)
    rows = _case_rows(start, end)
    by_unit, by_action = defaultdict(list), defaultdict(list)
    for r in rows:
        by_unit[r.lead_unit_id].append(r)
        by_action[r.action_id].append(r)
    units = {u.id: u for u in db.session.execute(select(Unit)).scalars()}
    unit_rows = []
    for unit_id, cases in by_unit.items():
        m = _metrics(cases, as_of, weights)
        unit_rows.append({"unit": units[unit_id].ref(), **m, "ranked": m["assigned"] >= min_cases})
    ranked = sorted((u for u in unit_rows if u["ranked"]), key=lambda u: (-u["score"], u["unit"]["code"]))
    for i, u in enumerate(ranked, 1):
        u["rank"] = i
    unranked = sorted((u for u in unit_rows if not u["ranked"]), key=lambda u: u["unit"]["code"])
    for u in unranked:
        u["rank"] = None
    actions = {a.id: a for a in db.session.execute(select(Action)).scalars()}
    action_rows = [{"action": {"id": a, "name": actions[a].name_zh}, **_metrics(c, as_of, weights)}
                   for a, c in sorted(by_action.items())]
    return {"from": start.isoformat(), "to": end.isoformat(), "weights": weights, "min_cases": min_cases,
            "totals": _metrics(rows, as_of, weights), "units": ranked + unranked,
            "actions": action_rows, "trend": weekly_trend(start, end)}


def weekly_trend(start, end):
    """Cases found (received) and closed per week (weeks start on Monday, local time)."""
    found = db.session.execute(select(Case.received_at).where(
        Case.received_at >= start, Case.received_at < end)).scalars().all()
    closed = db.session.execute(select(Event.at).where(
        Event.kind == "verify", Event.at >= start, Event.at < end)).scalars().all()
    zone = ZoneInfo(current_app.config["TIMEZONE"])

    def week(dt):
        local = dt.astimezone(zone).date()
        return (local - timedelta(days=local.weekday())).isoformat()
    weeks = defaultdict(lambda: {"found": 0, "closed": 0})
    for at in found:
        weeks[week(at)]["found"] += 1
    for at in closed:
        weeks[week(at)]["closed"] += 1
    return [{"week": w, **v} for w, v in sorted(weeks.items())]
