"""Units: the office sets each unit's webhook and reads the delivery log."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..errors import ApiError
from ..extensions import db
from ..models import Unit, WebhookDelivery
from .security import require_user

bp = Blueprint("units", __name__, description="Units and their notifications")


class UnitOut(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    webhook_url = fields.String(allow_none=True)


class WebhookIn(Schema):
    webhook_url = fields.Url(required=True, allow_none=True, schemes={"http", "https"},
                             require_tld=False, validate=validate.Length(max=500))


class DeliveryOut(Schema):
    id = fields.Integer()
    unit = fields.Function(lambda d: d.unit.ref())
    kind = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    delivered_at = fields.AwareDateTime(allow_none=True)
    next_attempt_at = fields.AwareDateTime()


class DeliveryQuery(Schema):
    unit = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


def _unit(code):
    unit = db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        raise ApiError(404, "unit_not_found", f"没有这个单位：{code}")
    return unit


@bp.get("/units")
@require_user("office", "admin")
@bp.response(200, UnitOut(many=True))
def list_units():
    """Every unit with its webhook."""
    return db.session.execute(select(Unit).order_by(Unit.id)).scalars().all()


@bp.put("/units/<string:code>/webhook")
@require_user("office", "admin")
@bp.arguments(WebhookIn)
@bp.response(200, UnitOut)
def put_webhook(data, code):
    """Set (or clear with null) the URL notified of new assignments, returns and overdue cases."""
    unit = _unit(code)
    unit.webhook_url = data["webhook_url"]
    db.session.commit()
    return unit


@bp.get("/webhooks/deliveries")
@require_user("office", "admin")
@bp.arguments(DeliveryQuery, location="query")
@bp.response(200, DeliveryOut(many=True))
def list_deliveries(query):
    """The delivery log, newest first."""
    q = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(query["limit"])
    if query.get("unit"):
        q = q.where(WebhookDelivery.unit_id == _unit(query["unit"]).id)
    return db.session.execute(q).scalars().all()
