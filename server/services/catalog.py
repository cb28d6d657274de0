"""The catalog document phones cache, and its ETag."""
import hashlib
import json

from flask import current_app
from pypinyin import Style, lazy_pinyin
from sqlalchemy import select

from ..extensions import db
from ..models import Action, CatalogMeta, Category, Unit, Zone


def catalog_document():
    """{version, actions, units, categories, zones, limits} from the database."""
    cfg = current_app.config
    meta = db.session.get(CatalogMeta, 1)
    actions = db.session.execute(select(Action).order_by(Action.id)).scalars().all()
    units = db.session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)).scalars()
    categories = db.session.execute(
        select(Category).where(Category.active.is_(True))
        .order_by(Category.action_id, Category.position)).scalars().all()
    zones = db.session.execute(select(Zone).where(Zone.active.is_(True)).order_by(Zone.id)).scalars()
    return {
        "version": meta.version if meta else 0,
        "actions": [{"id": a.id, "name": a.name_zh, "name_en": a.name_en,
                     "lead_units": [u.ref() for u in a.lead_units],
                     "cooperating_units": [u.ref() for u in a.cooperating_units]} for a in actions],
        "units": [u.ref() for u in units],
        "categories": [{"code": c.code, "name": c.name_zh, "name_en": c.name_en,
                        "action": c.action_id, "lead_unit": c.lead_unit.ref(),
                        "cooperating_units": [u.ref() for u in c.cooperating_units],
                        "deadline": {"value": c.deadline_value, "kind": c.deadline_kind},
                        "auto_dispatch": c.auto_dispatch, "photo_required": c.photo_required,
                        "basis": c.basis, "keywords": c.keywords,
                        "initials": initials(c.name_zh)} for c in categories],
        "zones": [{"code": z.code, "name": z.name, "lead_unit": z.lead_unit.ref(),
                   "action": z.action_id, "categories": z.category_codes, "priority": z.priority,
                   "geometry": z.geometry} for z in zones],
        "map": {"tile_url": cfg["MAP_TILE_URL"], "attribution": cfg["MAP_TILE_ATTRIBUTION"],
                "crs": cfg["MAP_TILE_CRS"]},
        "limits": {"photo_max_bytes": cfg["PHOTO_MAX_BYTES"],
                   "photos_per_case": cfg["PHOTOS_PER_CASE"], "photo_types": cfg["PHOTO_TYPES"],
                   "photo_max_pixels": cfg["PHOTO_MAX_PIXELS"],
                   "description_max": cfg["DESCRIPTION_MAX"]},
    }


def initials(text):
    """Pinyin initials ('乱堆乱放' → 'ldlf'), so a phone can search categories by them offline."""
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).lower()


def etag_for(document):
    """A strong ETag over the document's content."""
    blob = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32]
