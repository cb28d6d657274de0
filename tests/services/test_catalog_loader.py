"""Catalog loader: the catalog in the database is complete against the plan document itself.

Actions, units and each action's lead/cooperating units are parsed out of the plan's own text
(../shared/seed/000_91bf0463aba41b9a.txt), not copied from plan.yaml, so a typo or a dropped unit
in the YAML shows up here. Also checked: categories, the plan's split duties, and that loading is
idempotent, versioned, non-destructive and strict about unknown units.
"""
import re

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.extensions import db
from server.models import Action, CatalogMeta, Category, Unit, Zone
from server.services import catalog_loader
from server.services.catalog_loader import PLAN_PATH, CatalogError

from ..helpers import SAMPLES

PLAN_TEXT = (SAMPLES.parent / "seed" / "000_91bf0463aba41b9a.txt").read_text(encoding="utf-8")
NUMERALS = "一二三四五六七"
HEADER_RE = re.compile(r"^[（(]([一二三四五六七])[)）](\S+行动)$")
UNITS_RE = re.compile(r"^(牵头|配合|责任)单位[：:](.+)$")


def _parse_plan_actions():
    """{action number: {name, lead: [unit names], coop: [unit names]}} from section 四、主要任务."""
    tasks = PLAN_TEXT.split("四、主要任务", 1)[1].split("五、工作安排", 1)[0]
    actions, current = {}, None
    for line in tasks.splitlines():
        line = line.strip()
        header = HEADER_RE.match(line)
        if header:
            current = NUMERALS.index(header.group(1)) + 1
            actions[current] = {"name": header.group(2), "lead": [], "coop": []}
            continue
        units = UNITS_RE.match(line)
        if units and current is not None:
            names = [n.strip() for n in units.group(2).strip().rstrip("。.").split("、") if n.strip()]
            actions[current]["lead" if units.group(1) == "牵头" else "coop"] = names
    return actions


PLAN_ACTIONS = _parse_plan_actions()
PLAN_UNIT_NAMES = {n for a in PLAN_ACTIONS.values() for n in a["lead"] + a["coop"]}


_SNAPSHOT = {}


def _read_catalog():
    def names(units):
        return {u.name for u in units}
    actions = select(Action).options(selectinload(Action.lead_units), selectinload(Action.cooperating_units))
    categories = select(Category).options(selectinload(Category.lead_unit),
                                          selectinload(Category.cooperating_units))
    return {
        "units": {u.code: {"name": u.name, "active": u.active}
                  for u in db.session.execute(select(Unit)).scalars()},
        "actions": {a.id: {"zh": a.name_zh, "en": a.name_en, "lead": names(a.lead_units),
                           "coop": names(a.cooperating_units)}
                    for a in db.session.execute(actions).scalars()},
        "categories": {c.code: {"code": c.code, "zh": c.name_zh, "en": c.name_en, "action": c.action_id,
                                "lead": c.lead_unit.name if c.lead_unit else None,
                                "coop": names(c.cooperating_units), "active": c.active,
                                "deadline": (c.deadline_value, c.deadline_kind)}
                       for c in db.session.execute(categories).scalars()},
    }


@pytest.fixture
def catalog(request):
    """The freshly loaded catalog as plain data (units, actions, categories with unit names).

    Every test starts from the same freshly loaded catalog, so it is read from a database once per run.
    """
    if not _SNAPSHOT:
        request.getfixturevalue("app_ctx")
        _SNAPSHOT.update(_read_catalog())
    return _SNAPSHOT


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _version():
    return db.session.get(CatalogMeta, 1).version


def _category(code):
    return db.session.execute(select(Category).filter_by(code=code)).scalar_one()


def _write_plan(tmp_path, mutate):
    """A modified copy of plan.yaml written to tmp_path; returns its path."""
    plan = yaml.safe_load(PLAN_PATH.read_text(encoding="utf-8"))
    mutate(plan)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_plan_text_parses_into_seven_actions():
    assert sorted(PLAN_ACTIONS) == [1, 2, 3, 4, 5, 6, 7]
    for number, action in PLAN_ACTIONS.items():
        assert action["lead"], f"no 牵头单位 parsed for action {number}"
        assert action["coop"], f"no 配合/责任单位 parsed for action {number}"
    assert len(PLAN_UNIT_NAMES) == 11  # the distinct units across the seven actions


def test_seven_actions_with_plan_names(catalog):
    assert sorted(catalog["actions"]) == [1, 2, 3, 4, 5, 6, 7]
    for number, action in catalog["actions"].items():
        assert action["zh"] == PLAN_ACTIONS[number]["name"]
        assert action["en"].strip()


def test_every_unit_named_in_plan_exists(catalog):
    names = {u["name"] for u in catalog["units"].values() if u["active"]}
    missing = sorted(PLAN_UNIT_NAMES - names)
    assert not missing, f"units named by the plan but not in the catalog: {missing}"


def test_every_catalog_unit_is_written_as_in_plan(catalog):
    names = [u["name"] for u in catalog["units"].values()]
    assert names
    invented = [n for n in names if n not in PLAN_TEXT]
    assert not invented, f"unit names not found verbatim in the plan: {invented}"


@pytest.mark.parametrize("number", range(1, 8))
def test_action_units_match_plan(catalog, number):
    action = catalog["actions"][number]
    assert action["lead"] == set(PLAN_ACTIONS[number]["lead"])
    assert action["coop"] == set(PLAN_ACTIONS[number]["coop"])


def test_categories_cover_all_actions(catalog):
    cats = [c for c in catalog["categories"].values() if c["active"]]
    assert len(cats) >= 40
    assert {c["action"] for c in cats} == {1, 2, 3, 4, 5, 6, 7}
    for c in cats:
        assert c["zh"].strip() and c["en"].strip(), c["code"]
        assert re.search(r"[\u4e00-\u9fff]", c["zh"]), c["code"]
        assert c["lead"], c["code"]
        assert c["deadline"][0] > 0 and c["deadline"][1] in ("hours", "workdays"), c["code"]


def test_category_lead_is_one_of_its_actions_units(catalog):
    for c in catalog["categories"].values():
        action = catalog["actions"][c["action"]]
        assert c["lead"] in action["lead"] | action["coop"], \
            f"{c['code']} led by {c['lead']}, not a unit of action {c['action']}"


@pytest.mark.parametrize("code, lead", [
    ("a1-parking-motor", "柳东交警大队"),
    ("a1-parking-marking", "规划建设环保局"),
    ("a1-illegal-structure", "市执法局北部分局"),
])
def test_action_1_split_duties(catalog, code, lead):
    cat = catalog["categories"][code]
    assert cat["action"] == 1
    assert cat["lead"] == lead


def test_motor_parking_cooperates_with_police_and_enforcement(catalog):
    assert {"市公安局柳东分局", "市执法局北部分局"} <= catalog["categories"]["a1-parking-motor"]["coop"]


@pytest.mark.parametrize("action, words", [
    (2, ["旱厕"]), (2, ["活禽散养"]), (2, ["四害孳生地"]),
    (3, ["三隔离"]), (3, ["三防"]),
    (4, ["围挡"]), (4, ["扬尘"]), (4, ["车辆未冲洗"]), (4, ["渣土", "抛洒"]),
    (6, ["四小", "许可证"]),
], ids=lambda v: "+".join(v) if isinstance(v, list) else str(v))
def test_named_problem_has_category(catalog, action, words):
    names = [c["zh"] for c in catalog["categories"].values() if c["action"] == action and c["active"]]
    assert any(all(w in n for w in words) for n in names), f"no category for {words} in action {action}"


def test_reload_is_idempotent(app_ctx):
    before = (_count(Unit), _count(Action), _count(Category), _count(Zone), _version())
    result = catalog_loader.load_plan()
    assert result["changed"] is False
    assert result["version"] == before[-1]
    assert (_count(Unit), _count(Action), _count(Category), _count(Zone), _version()) == before
    assert result["categories"] == before[2]


def test_reformatted_file_keeps_version(app_ctx, tmp_path):
    version = _version()
    result = catalog_loader.load_plan(_write_plan(tmp_path, lambda plan: None))
    assert result["changed"] is False
    assert _version() == version


def test_changed_deadline_bumps_version(app_ctx, tmp_path):
    version = _version()
    assert (_category("a1-piling").deadline_value, _category("a1-piling").deadline_kind) == (3, "workdays")

    def mutate(plan):
        next(c for c in plan["categories"] if c["code"] == "a1-piling")["deadline"] = "48 h"
    result = catalog_loader.load_plan(_write_plan(tmp_path, mutate))
    assert result["changed"] is True
    assert result["version"] == version + 1 == _version()
    cat = _category("a1-piling")
    assert (cat.deadline_value, cat.deadline_kind) == (48, "hours")
    # Loading the same changed file again does not bump it a second time.
    assert catalog_loader.load_plan(tmp_path / "plan.yaml")["version"] == version + 1


def test_removed_category_is_deactivated_not_deleted(app_ctx, tmp_path):
    total = _count(Category)

    def mutate(plan):
        plan["categories"] = [c for c in plan["categories"] if c["code"] != "a3-fish-stall"]
    result = catalog_loader.load_plan(_write_plan(tmp_path, mutate))
    assert result["changed"] is True
    assert _count(Category) == total
    assert _category("a3-fish-stall").active is False
    assert _category("a3-garbage").active is True
    # Restoring the original file brings it back.
    catalog_loader.load_plan()
    assert _category("a3-fish-stall").active is True


def test_removed_zone_is_deactivated(app_ctx, tmp_path):
    zone = {"code": "z-test", "name": "测试片区", "lead": "jdb", "priority": 1,
            "geometry": {"type": "Polygon", "coordinates": [[[109.48, 24.36], [109.50, 24.36],
                                                             [109.50, 24.38], [109.48, 24.36]]]}}
    catalog_loader.load_plan(_write_plan(tmp_path, lambda plan: plan.update(zones=[zone])))
    row = db.session.execute(select(Zone).filter_by(code="z-test")).scalar_one()
    assert row.active is True and row.lead_unit.name == "阳和街道办事处"
    catalog_loader.load_plan()
    assert db.session.execute(select(Zone).filter_by(code="z-test")).scalar_one().active is False


@pytest.mark.parametrize("where", ["category", "action", "zone"])
def test_unknown_unit_raises(app_ctx, tmp_path, where):
    version, categories = _version(), _count(Category)

    def mutate(plan):
        if where == "category":
            plan["categories"][0]["lead"] = "no-such-unit"
        elif where == "action":
            plan["actions"][2]["coop"].append("no-such-unit")
        else:
            plan["zones"] = [{"code": "z-x", "name": "x", "lead": "no-such-unit",
                              "geometry": {"type": "Polygon", "coordinates": []}}]
    with pytest.raises(CatalogError, match="no-such-unit"):
        catalog_loader.load_plan(_write_plan(tmp_path, mutate))
    assert _version() == version and _count(Category) == categories


@pytest.mark.parametrize("text, parsed", [("24 h", (24, "hours")), ("3 wd", (3, "workdays")),
                                          ("10wd", (10, "workdays"))])
def test_parse_deadline(text, parsed):
    assert catalog_loader.parse_deadline(text) == parsed


@pytest.mark.parametrize("text", ["0 h", "3 days", "", "-2 wd"])
def test_parse_deadline_rejects(text):
    with pytest.raises(CatalogError):
        catalog_loader.parse_deadline(text)
