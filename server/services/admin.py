"""Administration: people (create, deactivate, reset, revoke) and the catalog (categories, zones),
every change audited; catalog changes bump its version so phones refresh."""
import secrets

from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from ..errors import ApiError
from ..extensions import db
from ..models import AuditEntry, AuthToken, Category, Unit, User, Zone
from ..models.types import utcnow
from . import auth, catalog_loader

# The office manages field accounts; only an admin creates office and admin accounts.
MANAGEABLE = {"office": ("inspector", "liaison"), "admin": ("inspector", "liaison", "office", "admin")}


def _audit(actor, target, action, before, after):
    db.session.add(AuditEntry(actor_id=actor.id, target=target, action=action, before=before, after=after))


def _user_state(u):
    return {"username": u.username, "role": u.role, "unit": u.unit.code if u.unit else None,
            "active": u.active, "display_name": u.display_name}


def _may_manage(actor, role):
    if role not in MANAGEABLE.get(actor.role, ()):
        raise ApiError(403, "forbidden", f"无权管理 {role} 账号")


def create_user(actor, data):
    """Create an account; returns (user, one-time password)."""
    _may_manage(actor, data["role"])
    password = data.get("password") or secrets.token_urlsafe(9)
    user = auth.create_user(data["username"], data["role"], password, data.get("unit"), data.get("display_name"))
    _audit(actor, f"user:{user.id}", "create", None, _user_state(user))
    db.session.commit()
    return user, password


def get_user(user_id):
    """A user by id, or 404."""
    # Ids are 32-bit; a larger one from the URL would overflow the driver (SQLite: 500), not miss.
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise ApiError(404, "user_not_found", "没有这个用户")
    return user


def update_user(actor, user_id, data):
    """Change display name, unit or active flag, or reset the password; returns (user, new password or None)."""
    user = get_user(user_id)
    _may_manage(actor, user.role)
    before = _user_state(user)
    password = None
    if "display_name" in data:
        user.display_name = data["display_name"]
    if "unit" in data:
        unit = auth.find_unit(data["unit"]) if data["unit"] else None
        if data["unit"] and unit is None:
            raise ApiError(422, "unknown_unit", f"没有这个单位：{data['unit']}", {"unit": [data["unit"]]})
        if user.role == "liaison" and unit is None:
            raise ApiError(422, "unit_required", "联络员必须属于一个单位", {"unit": ["required"]})
        user.unit = unit
    if "active" in data:
        user.active = data["active"]
        if not data["active"]:
            _revoke_all(user)  # a deactivated account's phone must stop working at once
    if data.get("reset_password"):
        password = secrets.token_urlsafe(9)
        user.password_hash = generate_password_hash(password)
        _revoke_all(user)
    _audit(actor, f"user:{user.id}", "reset_password" if password else "update", before, _user_state(user))
    db.session.commit()
    return user, password


def _revoke_all(user):
    return db.session.execute(update(AuthToken).where(
        AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None)).values(revoked_at=utcnow())).rowcount


def revoke_tokens(actor, user_id):
    """Sign a lost phone out: revoke every token of the user. Returns how many."""
    user = get_user(user_id)
    _may_manage(actor, user.role)
    count = _revoke_all(user)
    _audit(actor, f"user:{user.id}", "revoke_tokens", None, {"revoked": count})
    db.session.commit()
    return count


def list_users():
    """Every account, by role then username."""
    return db.session.execute(select(User).order_by(User.role, User.username)).scalars().all()


def _unit(code):
    unit = db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None or unit.kind == "office":
        raise ApiError(422, "unknown_unit", f"没有这个责任单位：{code}", {"unit": [code]})
    return unit


def _category_state(c):
    return {"deadline": {"value": c.deadline_value, "kind": c.deadline_kind}, "lead_unit": c.lead_unit.code,
            "cooperating_units": [u.code for u in c.cooperating_units], "auto_dispatch": c.auto_dispatch,
            "active": c.active}


def update_category(actor, code, data):
    """Change a category's deadline, units, auto-dispatch or active flag."""
    category = db.session.execute(select(Category).where(Category.code == code)).scalar_one_or_none()
    if category is None:
        raise ApiError(404, "category_not_found", f"没有这个问题类型：{code}")
    before = _category_state(category)
    if "deadline_value" in data:
        category.deadline_value = data["deadline_value"]
    if "deadline_kind" in data:
        category.deadline_kind = data["deadline_kind"]
    if "lead_unit" in data:
        category.lead_unit = _unit(data["lead_unit"])
    if "cooperating_units" in data:
        category.cooperating_units = [_unit(c) for c in data["cooperating_units"]]
    for key in ("auto_dispatch", "active"):
        if key in data:
            setattr(category, key, data[key])
    _audit(actor, f"category:{code}", "update", before, _category_state(category))
    catalog_loader.bump_version()
    db.session.commit()
    return category


def upsert_zone(actor, code, data):
    """Create or change a routing zone (a GeoJSON polygon that overrides the lead unit)."""
    zone = db.session.execute(select(Zone).where(Zone.code == code)).scalar_one_or_none()
    before = None if zone is None else {"name": zone.name, "lead_unit": zone.lead_unit.code,
                                        "active": zone.active, "priority": zone.priority}
    zone = zone or Zone(code=code)
    zone.name, zone.geometry, zone.lead_unit = data["name"], data["geometry"], _unit(data["lead_unit"])
    zone.action_id, zone.category_codes = data.get("action"), data.get("categories") or None
    zone.priority, zone.active = data.get("priority", 0), data.get("active", True)
    db.session.add(zone)
    _audit(actor, f"zone:{code}", "create" if before is None else "update", before,
           {"name": zone.name, "lead_unit": zone.lead_unit.code, "active": zone.active, "priority": zone.priority})
    catalog_loader.bump_version()
    db.session.commit()
    return zone


def audit_log(limit=200):
    """The newest audit entries."""
    return db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).scalars().all()
