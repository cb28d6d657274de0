"""Routing: (category, point) → lead unit, cooperating units, deadline, and why."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Category, Unit, Zone
from . import deadlines, geo


@dataclass
class Assignment:
    """The outcome of routing one case."""

    lead_unit: Unit
    cooperating_units: list = field(default_factory=list)
    due_at: datetime | None = None
    rule: str = ""
    reason: str = ""


def _zone_applies(zone, category):
    if zone.action_id is not None and zone.action_id != category.action_id:
        return False
    return not zone.category_codes or category.code in zone.category_codes


def matching_zone(category, lat, lon):
    """The highest-priority active zone containing the point whose scope covers the category."""
    if lat is None or lon is None:
        return None
    zones = db.session.execute(
        select(Zone).where(Zone.active.is_(True)).order_by(Zone.priority.desc(), Zone.id)).scalars()
    for zone in zones:
        if _zone_applies(zone, category) and geo.contains(zone.geometry, lat, lon):
            return zone
    return None


def route(category: Category, lat=None, lon=None, start: datetime | None = None):
    """Decide who handles a case; due_at is computed only when a start (dispatch time) is given."""
    zone = matching_zone(category, lat, lon)
    lead = zone.lead_unit if zone else category.lead_unit
    cooperating = [u for u in category.cooperating_units if u.id != lead.id]
    if zone and category.lead_unit.id != lead.id:
        cooperating = [category.lead_unit, *cooperating]
    limit = deadlines.describe(category.deadline_value, category.deadline_kind)
    if zone:
        rule = f"zone:{zone.code}/category:{category.code}"
        reason = (f"位于{zone.name}，{category.name_zh}由{lead.name}牵头处理，限{limit}"
                  f"（区域规则覆盖类别默认的{category.lead_unit.name}）。")
    else:
        rule = f"category:{category.code}"
        basis = f"，依据方案：“{category.basis}”" if category.basis else ""
        reason = (f"{category.name_zh}属于{category.action.name_zh}，由{lead.name}牵头处理，"
                  f"限{limit}{basis}。")
    due = deadlines.due_at(start, category.deadline_value, category.deadline_kind) if start else None
    return Assignment(lead, cooperating, due, rule, reason)
