"""Administration (office/admin): people, the liaison roster, categories, zones, the audit log."""
from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates

from ..models import ROLES
from ..services import admin, exports
from .security import current_user, require_user

bp = Blueprint("admin", __name__, description="People, catalog and audit (office/admin)")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UserAdminOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    role = fields.String()
    unit = fields.Function(lambda u: u.unit.ref() if u.unit else None)
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    last_sync_at = fields.AwareDateTime(allow_none=True)
    password = fields.String(metadata={"description": "only when just set: shown once"})


class UserCreateIn(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9._-]{2,60}$"))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    display_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    password = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=8, max=200))


class UserPatchIn(Schema):
    display_name = fields.String(allow_none=True, validate=validate.Length(max=80))
    unit = fields.String(allow_none=True, validate=validate.Length(max=80))
    active = fields.Boolean()
    reset_password = fields.Boolean()


class RevokedOut(Schema):
    revoked = fields.Integer()


class CategoryPatchIn(Schema):
    deadline_value = fields.Integer(validate=validate.Range(1, 24 * 60))
    deadline_kind = fields.String(validate=validate.OneOf(["hours", "workdays"]))
    lead_unit = fields.String(validate=validate.Length(max=40))
    cooperating_units = fields.List(fields.String(validate=validate.Length(max=40)), validate=validate.Length(max=30))
    auto_dispatch = fields.Boolean()
    active = fields.Boolean()


class CategoryAdminOut(Schema):
    code = fields.String()
    name = fields.String(attribute="name_zh")
    lead_unit = fields.Function(lambda c: c.lead_unit.ref())
    cooperating_units = fields.Function(lambda c: [u.ref() for u in c.cooperating_units])
    deadline_value = fields.Integer()
    deadline_kind = fields.String()
    auto_dispatch = fields.Boolean()
    active = fields.Boolean()


def _position_ok(p):
    return (isinstance(p, list) and len(p) >= 2 and all(isinstance(x, (int, float)) for x in p[:2])
            and -180 <= p[0] <= 180 and -90 <= p[1] <= 90)


def _ring_ok(ring):
    return isinstance(ring, list) and len(ring) >= 4 and all(_position_ok(p) for p in ring) and ring[0] == ring[-1]


class ZoneIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    lead_unit = fields.String(required=True, validate=validate.Length(max=40))
    action = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 7))
    categories = fields.List(fields.String(validate=validate.Length(max=60)), load_default=None, allow_none=True)
    priority = fields.Integer(load_default=0, validate=validate.Range(-1000, 1000))
    active = fields.Boolean(load_default=True)
    geometry = fields.Dict(required=True)

    @validates("geometry")
    def _geojson(self, value, **kwargs):
        kind, coords = value.get("type"), value.get("coordinates")
        polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
        if not isinstance(polygons, list) or not polygons or not all(
                isinstance(poly, list) and poly and all(_ring_ok(r) for r in poly) for poly in polygons):
            raise ValidationError("a GeoJSON Polygon or MultiPolygon of closed [lon, lat] rings")


class ZoneAdminOut(Schema):
    code = fields.String()
    name = fields.String()
    lead_unit = fields.Function(lambda z: z.lead_unit.ref())
    active = fields.Boolean()
    priority = fields.Integer()


class AuditOut(Schema):
    id = fields.Integer()
    actor = fields.Function(lambda e: e.actor.username if e.actor else None)
    target = fields.String()
    action = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    at = fields.AwareDateTime()


@bp.get("/users")
@require_user("office", "admin")
@bp.response(200, UserAdminOut(many=True))
def list_users():
    """Every account with its last sync."""
    return admin.list_users()


@bp.post("/users")
@require_user("office", "admin")
@bp.arguments(UserCreateIn)
@bp.response(201, UserAdminOut)
def create_user(data):
    """Create an inspector or liaison (office) or any account (admin); the password is shown once."""
    user, password = admin.create_user(current_user(), data)
    user.password = password  # shown once, never stored in clear
    return user


@bp.patch("/users/<int:user_id>")
@require_user("office", "admin")
@bp.arguments(UserPatchIn)
@bp.response(200, UserAdminOut)
def patch_user(data, user_id):
    """Deactivate, move to another unit, rename, or reset the password (revokes tokens)."""
    user, password = admin.update_user(current_user(), user_id, data)
    if password:
        user.password = password  # shown once, never stored in clear
    return user


@bp.post("/users/<int:user_id>/revoke-tokens")
@require_user("office", "admin")
@bp.response(200, RevokedOut)
def revoke_user_tokens(user_id):
    """A lost phone: sign the account out everywhere."""
    return {"revoked": admin.revoke_tokens(current_user(), user_id)}


@bp.get("/exports/liaisons.xlsx")
@require_user("office", "admin")
def export_liaisons():
    """The liaison roster (联络员名单) as an Excel workbook."""
    resp = Response(exports.liaison_roster_xlsx(admin.list_users()), mimetype=XLSX)
    resp.headers["Content-Disposition"] = "attachment; filename*=UTF-8''liaisons.xlsx"
    return resp


@bp.patch("/catalog/categories/<string:code>")
@require_user("office", "admin")
@bp.arguments(CategoryPatchIn)
@bp.response(200, CategoryAdminOut)
def patch_category(data, code):
    """Change a category's deadline, units or auto-dispatch (audited; bumps the catalog version)."""
    return admin.update_category(current_user(), code, data)


@bp.put("/catalog/zones/<string:code>")
@require_user("office", "admin")
@bp.arguments(ZoneIn)
@bp.response(200, ZoneAdminOut)
def put_zone(data, code):
    """Create or replace a routing zone (audited; bumps the catalog version)."""
    return admin.upsert_zone(current_user(), code, data)


@bp.get("/audit")
@require_user("office", "admin")
@bp.response(200, AuditOut(many=True))
def get_audit():
    """The newest administrative changes."""
    return admin.audit_log()
