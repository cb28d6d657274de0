"""Unit and action evaluation for a period (综合考评): rates, a weighted score and a ranking.

Counting happens in the database (GROUP BY unit and action), so a year of 100,000 cases costs a few
grouped queries rather than 100,000 rows through Python.
"""
import statistics
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, case as when, func, literal_column, select

from ..extensions import db
from ..models import Action, Case, Event, Unit
from ..models.types import utcnow

ASSIGNED_STATUSES = ("dispatched", "accepted", "resolved", "closed")
# Default weights in district practice: 处置率 30, 按期处置率 20, 1−返工率 20, 1−超期率 20, 1−延期率 10.
DEFAULT_WEIGHTS = {"closure": 30, "on_time": 20, "rework": 20, "overdue": 20, "extension": 10}
COUNTS = ("assigned", "closed", "closed_on_time", "open_overdue", "returned", "extended", "resolved_once")


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def _hours(start, end):
    """end − start in hours, computed by the database."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24
    return func.extract("epoch", end - start) / 3600


def _grouped(start, end, as_of):
    """Counts per (unit, action) for assigned cases received in [start, end), and resolve durations."""
    in_period = and_(Case.received_at >= start, Case.received_at < end, Case.status.in_(ASSIGNED_STATUSES))
    one = lambda cond: func.sum(when((cond, 1), else_=0))  # noqa: E731
    counts = db.session.execute(
        select(Case.lead_unit_id, Case.action_id, func.count().label("assigned"),
               one(Case.status == "closed").label("closed"),
               one(and_(Case.status == "closed", Case.resolved_at <= Case.due_at)).label("closed_on_time"),
               one(and_(Case.status.in_(("dispatched", "accepted")), Case.due_at < as_of)).label("open_overdue"),
               one(Case.rework_count > 0).label("returned"), one(Case.extension_count > 0).label("extended"),
               one(Case.resolved_at.is_not(None)).label("resolved_once"))
        .where(in_period).group_by(Case.lead_unit_id, Case.action_id)).all()
    # Hours from the first dispatch to the last resolve, both kept on the case by the lifecycle.
    durations = db.session.execute(
        select(Case.lead_unit_id, Case.action_id, _hours(Case.dispatched_at, Case.resolved_at))
        .where(in_period, Case.dispatched_at.is_not(None), Case.resolved_at.is_not(None))).all()
    return counts, durations


def _metrics(c, hours, weights):
    m = {k: int(c.get(k, 0)) for k in COUNTS}
    assigned = m["assigned"]
    m.update(closure_rate=_rate(m["closed"], assigned), on_time_rate=_rate(m["closed_on_time"], assigned),
             rework_rate=_rate(m["returned"], m["resolved_once"]),
             overdue_rate=_rate(m["open_overdue"], assigned), extension_rate=_rate(m["extended"], assigned),
             median_hours_to_resolve=round(statistics.median(hours), 1) if hours else None)
    m["score"] = score(m, weights) if assigned else None
    del m["resolved_once"]
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


def _fold(counts, durations, key):
    """Sum the (unit, action) groups by one of their keys: {key: (counts, hours)}."""
    folded = defaultdict(lambda: (defaultdict(int), []))
    for row in counts:
        totals = folded[key(row)][0]
        for name in COUNTS:
            totals[name] += getattr(row, name) or 0
    for row in durations:
        folded[key(row)][1].append(float(row[2]))
    return folded


def evaluate(start, end, now=None):
    """{period, weights, min_cases, totals, units: [...ranked], actions: [...], trend: [...]} for [start, end)."""
    cfg = current_app.config
    weights = {**DEFAULT_WEIGHTS, **cfg.get("EVALUATION_WEIGHTS", {})}
    min_cases = cfg.get("EVALUATION_MIN_CASES", 5)
    as_of = min(now or utcnow(), end)
    counts, durations = _grouped(start, end, as_of)
    units = {u.id: u for u in db.session.execute(select(Unit)).scalars()}
    unit_rows = []
    for unit_id, (c, hours) in _fold(counts, durations, lambda r: r[0]).items():
        m = _metrics(c, hours, weights)
        unit_rows.append({"unit": units[unit_id].ref(), **m, "ranked": m["assigned"] >= min_cases})
    ranked = sorted((u for u in unit_rows if u["ranked"]), key=lambda u: (-u["score"], u["unit"]["code"]))
    for i, u in enumerate(ranked, 1):
        u["rank"] = i
    unranked = sorted((u for u in unit_rows if not u["ranked"]), key=lambda u: u["unit"]["code"])
    for u in unranked:
        u["rank"] = None
    actions = {a.id: a for a in db.session.execute(select(Action)).scalars()}
    action_rows = [{"action": {"id": a, "name": actions[a].name_zh}, **_metrics(c, hours, weights)}
                   for a, (c, hours) in sorted(_fold(counts, durations, lambda r: r[1]).items())]
    total_c, total_h = _fold(counts, durations, lambda r: "all").get("all", ({}, []))
    return {"from": start.isoformat(), "to": end.isoformat(), "weights": weights, "min_cases": min_cases,
            "totals": _metrics(total_c, total_h, weights), "units": ranked + unranked,
            "actions": action_rows, "trend": weekly_trend(start, end)}


def _week_of(column, offset_hours):
    """The local Monday starting the week of a UTC timestamp column, as 'YYYY-MM-DD', in SQL."""
    if db.engine.dialect.name == "sqlite":
        local = func.datetime(column, f"{offset_hours:+g} hours")
        return func.date(local, "-6 days", "weekday 1")
    local = column + literal_column(f"interval '{offset_hours} hours'")
    return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")


def weekly_trend(start, end):
    """Cases found (received) and closed (verified) per week; weeks start on Monday, local time."""
    # China keeps one offset all year; the period's start gives it for any other zone without DST.
    offset = start.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).utcoffset() / timedelta(hours=1)
    weeks = defaultdict(lambda: {"found": 0, "closed": 0})
    found = _week_of(Case.received_at, offset)
    for week, n in db.session.execute(select(found, func.count()).where(
            Case.received_at >= start, Case.received_at < end).group_by(found)):
        weeks[week]["found"] += n
    closed = _week_of(Event.at, offset)
    for week, n in db.session.execute(select(closed, func.count()).where(
            Event.kind == "verify", Event.at >= start, Event.at < end).group_by(closed)):
        weeks[week]["closed"] += n
    return [{"week": w, **v} for w, v in sorted(weeks.items())]
