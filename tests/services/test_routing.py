"""Routing: category defaults for each of the seven actions, zone overrides, and due dates."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Category, Unit, Zone
from server.services import deadlines, routing

from ..helpers import YANGHE

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSIDE = (YANGHE["lat"], YANGHE["lon"])
OUTSIDE = (YANGHE["lat"] + 0.05, YANGHE["lon"] + 0.05)

# One representative category per action: expected lead and cooperating units, as the plan assigns them.
CASES = [
    ("a1-piling", "市执法局北部分局",
     {"阳和街道办事处", "阳和工商所", "阳和食品药品监督管理所", "经济发展局", "规划建设环保局",
      "社会事务局", "市公安局柳东分局", "柳东交警大队"}),
    ("a1-parking-motor", "柳东交警大队", {"市公安局柳东分局", "市执法局北部分局"}),
    ("a2-pests", "阳和街道办事处", {"社会事务局"}),
    ("a2-dry-latrine", "阳和街道办事处", {"规划建设环保局", "社会事务局"}),
    ("a3-poultry-separation", "阳和食品药品监督管理所", {"阳和工商所", "社会事务局"}),
    ("a4-muck-spill", "规划建设环保局", {"市执法局北部分局", "柳东交警大队"}),
    ("a5-road-occupation", "阳和工商所", {"市执法局北部分局", "阳和食品药品监督管理所"}),
    ("a6-hygiene-licence", "社会事务局", {"市执法局北部分局", "阳和工商所"}),
    ("a7-illegal-structure", "规划建设环保局", {"市执法局北部分局", "阳和街道办事处"}),
]


def _category(code):
    return db.session.execute(select(Category).filter_by(code=code)).scalar_one()


def _unit(code):
    return db.session.execute(select(Unit).filter_by(code=code)).scalar_one()


def _square(lat, lon, half=0.01):
    return {"type": "Polygon", "coordinates": [[
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half]]]}


def _zone(code, lead, name="阳和农贸市场", action=None, categories=None, priority=0, active=True):
    zone = Zone(code=code, name=name, geometry=_square(*INSIDE), lead_unit=_unit(lead),
                action_id=action, category_codes=categories, priority=priority, active=active)
    db.session.add(zone)
    db.session.flush()  # visible to route() in this session; rolled back at teardown
    return zone


def test_every_action_has_a_case_here(app_ctx):
    assert {_category(code).action_id for code, _, _ in CASES} == {1, 2, 3, 4, 5, 6, 7}


@pytest.mark.parametrize("code, lead, coop", CASES, ids=[c[0] for c in CASES])
def test_category_routing_and_reason(app_ctx, code, lead, coop):
    cat = _category(code)
    result = routing.route(cat, *INSIDE)
    assert result.lead_unit.name == lead
    assert {u.name for u in result.cooperating_units} == coop
    assert lead not in {u.name for u in result.cooperating_units}
    assert result.rule == f"category:{code}"
    assert result.due_at is None
    # The reason: one Chinese sentence naming the category, its action, the lead unit and the limit.
    reason = result.reason
    assert reason.endswith("。") and reason.count("。") == 1
    assert lead in reason and cat.name_zh in reason and cat.action.name_zh in reason
    assert deadlines.describe(cat.deadline_value, cat.deadline_kind) in reason
    assert len(re.findall(r"[\u4e00-\u9fff]", reason)) > len(reason) / 2


def test_reason_quotes_plan_basis(app_ctx):
    cat = _category("a1-parking-marking")
    assert cat.basis and cat.basis in routing.route(cat).reason


def test_zone_overrides_lead_inside_only(app_ctx):
    cat = _category("a3-garbage")  # lead 阳和工商所; cooperating 阳和食品药品监督管理所, 社会事务局
    _zone("z-market", "jdb")
    inside = routing.route(cat, *INSIDE)
    assert inside.lead_unit.name == "阳和街道办事处"
    assert inside.cooperating_units[0].name == "阳和工商所"
    assert {u.name for u in inside.cooperating_units} == {"阳和工商所", "阳和食品药品监督管理所", "社会事务局"}
    assert inside.rule == "zone:z-market/category:a3-garbage"
    assert "阳和农贸市场" in inside.reason and "阳和街道办事处" in inside.reason
    assert inside.reason.endswith("。")

    outside = routing.route(cat, *OUTSIDE)
    assert outside.lead_unit.name == "阳和工商所"
    assert outside.rule == "category:a3-garbage"
    assert "阳和街道办事处" not in {u.name for u in outside.cooperating_units}


def test_zone_lead_not_repeated_among_cooperating(app_ctx):
    cat = _category("a3-garbage")
    _zone("z-market", "sys")  # already one of the category's cooperating units
    result = routing.route(cat, *INSIDE)
    assert result.lead_unit.name == "阳和食品药品监督管理所"
    names = [u.name for u in result.cooperating_units]
    assert names[0] == "阳和工商所"
    assert sorted(names) == sorted({"阳和工商所", "社会事务局"})


def test_zone_without_point_does_not_apply(app_ctx):
    _zone("z-market", "jdb")
    assert routing.route(_category("a3-garbage")).lead_unit.name == "阳和工商所"


def test_zone_action_scope(app_ctx):
    _zone("z-market", "jdb", action=3)
    assert routing.route(_category("a3-bins"), *INSIDE).lead_unit.name == "阳和街道办事处"
    assert routing.route(_category("a1-piling"), *INSIDE).lead_unit.name == "市执法局北部分局"
    assert routing.route(_category("a1-piling"), *INSIDE).rule == "category:a1-piling"


def test_zone_category_scope(app_ctx):
    _zone("z-market", "jdb", action=3, categories=["a3-garbage"])
    assert routing.route(_category("a3-garbage"), *INSIDE).lead_unit.name == "阳和街道办事处"
    assert routing.route(_category("a3-bins"), *INSIDE).lead_unit.name == "阳和工商所"


def test_zone_priority(app_ctx):
    _zone("z-low", "jdb", name="低优先片区", priority=1)
    _zone("z-high", "zfj", name="高优先片区", priority=10)
    _zone("z-mid", "ghj", name="中优先片区", priority=5)
    result = routing.route(_category("a3-garbage"), *INSIDE)
    assert result.lead_unit.name == "市执法局北部分局"
    assert result.rule == "zone:z-high/category:a3-garbage"


def test_higher_priority_zone_out_of_scope_is_skipped(app_ctx):
    _zone("z-sites", "zfj", name="工地片区", action=4, priority=10)
    _zone("z-market", "jdb", priority=1)
    assert routing.route(_category("a3-garbage"), *INSIDE).lead_unit.name == "阳和街道办事处"


def test_inactive_zone_ignored(app_ctx):
    _zone("z-market", "jdb", active=False)
    assert routing.route(_category("a3-garbage"), *INSIDE).lead_unit.name == "阳和工商所"


def test_multipolygon_zone(app_ctx):
    far = (INSIDE[0] + 0.2, INSIDE[1] + 0.2)
    geometry = {"type": "MultiPolygon", "coordinates": [_square(*far)["coordinates"],
                                                        _square(*INSIDE)["coordinates"]]}
    db.session.add(Zone(code="z-two", name="两片区", geometry=geometry, lead_unit=_unit("jdb")))
    db.session.flush()
    cat = _category("a3-garbage")
    assert routing.route(cat, *INSIDE).lead_unit.name == "阳和街道办事处"
    assert routing.route(cat, *far).lead_unit.name == "阳和街道办事处"
    assert routing.route(cat, *OUTSIDE).lead_unit.name == "阳和工商所"


def test_due_at_only_with_start(app_ctx):
    cat = _category("a1-piling")  # 3 working days
    assert routing.route(cat, *INSIDE).due_at is None
    start = datetime(2026, 6, 1, 9, 30, tzinfo=SHANGHAI)  # Monday
    due = routing.route(cat, *INSIDE, start=start).due_at
    assert due == datetime(2026, 6, 4, 18, 0, tzinfo=SHANGHAI)
    assert due == deadlines.due_at(start, cat.deadline_value, cat.deadline_kind)


def test_due_at_in_hours(app_ctx):
    cat = _category("a2-burning")  # 4 h
    start = datetime(2026, 10, 1, 22, 0, tzinfo=SHANGHAI)
    assert routing.route(cat, start=start).due_at == start + timedelta(hours=4)
