"""Load the plan's catalog (units, actions, categories, zones) from YAML into the database."""
import hashlib
import json
import re
from pathlib import Path

import yaml
from sqlalchemy import select

from ..extensions import db
from ..models import Action, CatalogMeta, Category, Unit, Zone
from ..models.types import utcnow

PLAN_PATH = Path(__file__).resolve().parent.parent / "data" / "plan.yaml"
DEADLINE_RE = re.compile(r"^\s*(\d+)\s*(h|wd)\s*$")


class CatalogError(ValueError):
    """The plan file is inconsistent (unknown unit, bad deadline, duplicate code)."""


def parse_deadline(text):
    """'24 h' → (24, 'hours'); '3 wd' → (3, 'workdays')."""
    m = DEADLINE_RE.match(str(text))
    if not m or int(m.group(1)) <= 0:
        raise CatalogError(f"bad deadline {text!r}: write 'N h' or 'N wd'")
    return int(m.group(1)), "hours" if m.group(2) == "h" else "workdays"


def read_plan(path=PLAN_PATH):
    """Parse and check the plan file; returns the plain dict."""
    plan = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    unit_codes = {u["code"] for u in plan["units"]}
    action_ids = {a["id"] for a in plan["actions"]}
    seen = set()
    for a in plan["actions"]:
        for code in a["lead"] + a["coop"]:
            if code not in unit_codes:
                raise CatalogError(f"action {a['id']} names unknown unit {code}")
    for c in plan["categories"]:
        if c["code"] in seen:
            raise CatalogError(f"duplicate category {c['code']}")
        seen.add(c["code"])
        if c["action"] not in action_ids:
            raise CatalogError(f"category {c['code']} names unknown action {c['action']}")
        for code in [c["lead"], *c.get("coop", [])]:
            if code not in unit_codes:
                raise CatalogError(f"category {c['code']} names unknown unit {code}")
        parse_deadline(c["deadline"])
    for z in plan.get("zones") or []:
        if z["lead"] not in unit_codes:
            raise CatalogError(f"zone {z['code']} names unknown unit {z['lead']}")
    return plan


def _upsert(model, key, values):
    """Fetch the row with this key or add a new one, then set values."""
    row = db.session.execute(select(model).filter_by(**key)).scalar_one_or_none()
    if row is None:
        row = model(**key)
        db.session.add(row)
    for k, v in values.items():
        setattr(row, k, v)
    return row


def load_plan(path=PLAN_PATH, force=False):
    """Upsert the catalog from the plan; deactivates categories and zones no longer listed.

    An unchanged plan file is not applied again (unless forced), so the office's own edits to
    deadlines or units survive every restart of the setup script.
    Returns {version, changed, units, actions, categories, zones}.
    """
    plan = read_plan(path)
    content_hash = hashlib.sha256(
        json.dumps(plan, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    meta = db.session.get(CatalogMeta, 1)
    if meta is not None and meta.content_hash == content_hash and not force:
        return {"version": meta.version, "changed": False, "units": len(plan["units"]),
                "actions": len(plan["actions"]), "categories": len(plan["categories"]),
                "zones": len(plan.get("zones") or [])}
    units = {}
    for u in plan["units"]:
        units[u["code"]] = _upsert(Unit, {"code": u["code"]},
                                   {"name": u["name"], "kind": u.get("kind", "member"), "active": True})
    db.session.flush()
    action_coop_default = {}
    for a in plan["actions"]:
        _upsert(Action, {"id": a["id"]}, {
            "name_zh": a["zh"], "name_en": a["en"],
            "lead_units": [units[c] for c in a["lead"]],
            "cooperating_units": [units[c] for c in a["coop"]],
        })
        action_coop_default[a["id"]] = a["lead"] + a["coop"]
    db.session.flush()
    listed = set()
    for position, c in enumerate(plan["categories"]):
        value, kind = parse_deadline(c["deadline"])
        coop = c.get("coop") or [u for u in action_coop_default[c["action"]] if u != c["lead"]]
        _upsert(Category, {"code": c["code"]}, {
            "name_zh": c["zh"], "name_en": c["en"], "action_id": c["action"],
            "lead_unit": units[c["lead"]], "cooperating_units": [units[u] for u in coop],
            "deadline_value": value, "deadline_kind": kind, "auto_dispatch": c.get("auto", True),
            "photo_required": c.get("photo_required", True), "basis": c.get("basis"),
            "keywords": c.get("kw"), "position": position, "active": True,
        })
        listed.add(c["code"])
    for cat in db.session.execute(select(Category)).scalars():
        if cat.code not in listed:
            cat.active = False  # kept, not deleted: old cases still point at it
    zone_codes = set()
    for z in plan.get("zones") or []:
        _upsert(Zone, {"code": z["code"]}, {
            "name": z["name"], "geometry": z["geometry"], "lead_unit": units[z["lead"]],
            "action_id": z.get("action"), "category_codes": z.get("categories"),
            "priority": z.get("priority", 0), "active": True,
        })
        zone_codes.add(z["code"])
    for zone in db.session.execute(select(Zone)).scalars():
        if zone.code not in zone_codes:
            zone.active = False
    meta = meta or CatalogMeta(id=1, version=0, content_hash="")
    db.session.add(meta)
    changed = meta.content_hash != content_hash
    if changed:
        meta.version += 1
        meta.content_hash = content_hash
        meta.updated_at = utcnow()
    db.session.commit()
    return {"version": meta.version, "changed": changed, "units": len(units),
            "actions": len(plan["actions"]), "categories": len(listed), "zones": len(zone_codes)}


def bump_version():
    """Mark the catalog as changed (office edits), so phones fetch it again."""
    meta = db.session.get(CatalogMeta, 1) or CatalogMeta(id=1, version=0, content_hash="")
    db.session.add(meta)
    meta.version += 1
    meta.updated_at = utcnow()
    return meta.version
