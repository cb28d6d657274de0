"""Public complaints (群众投诉): no sign-in; a case number and a status page for the complainant."""
from flask import current_app, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..input_guard import check_pairs
from ..schemas.cases import Finite
from ..services import public

bp = Blueprint("public", __name__, description="Complaints from the public")


class PublicReportIn(Schema):
    category = fields.String(required=True, validate=validate.Length(min=1, max=60))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    lat = Finite(required=True, validate=validate.Range(-90, 90))
    lon = Finite(required=True, validate=validate.Range(-180, 180))
    accuracy_m = Finite(load_default=None, allow_none=True, validate=validate.Range(0, 100_000))
    location_source = fields.String(load_default="manual", validate=validate.OneOf(["device", "manual"]))
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    name = fields.String(load_default=None, validate=validate.Length(max=40))
    phone = fields.String(load_default=None, validate=validate.Length(max=30))


class ReceiptOut(Schema):
    number = fields.String()
    receipt = fields.String()
    status_url = fields.String()


class HistoryOut(Schema):
    at = fields.AwareDateTime()
    status = fields.String()
    label = fields.String()


class PublicStatusOut(Schema):
    number = fields.String()
    status = fields.String()
    status_label = fields.String()
    category = fields.String()
    received_at = fields.AwareDateTime()
    lead_unit = fields.String(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    history = fields.List(fields.Nested(HistoryOut))


class StatusQuery(Schema):
    receipt = fields.String(required=True, validate=validate.Length(min=1, max=40))


@bp.before_request
def allow_photo_bodies():
    """The form carries photos: allow their size here only."""
    cfg = current_app.config
    request.max_content_length = cfg["PHOTO_MAX_BYTES"] * cfg["PHOTOS_PER_CASE"] + 1024 * 1024
    if request.method == "POST":
        check_pairs(request.form.items(multi=True), "form")


@bp.post("/public/reports")
@bp.arguments(PublicReportIn, location="form")
@bp.response(201, ReceiptOut)
def post_report(data):
    """Report a problem (multipart form with one or more `photo` files); rate-limited per address."""
    case, receipt = public.submit(data, request.files.getlist("photo"), request.remote_addr or "")
    return {"number": case.number, "receipt": receipt,
            "status_url": url_for("pwa.public_page") + f"#/status/{case.number}/{receipt}"}


@bp.get("/public/reports/<string:number>")
@bp.arguments(StatusQuery, location="query")
@bp.response(200, PublicStatusOut)
def get_status(query, number):
    """A complainant's view of their case (needs the receipt code given at submission)."""
    return public.status(number, query["receipt"])
