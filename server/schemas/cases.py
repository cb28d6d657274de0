"""Case sync schemas: what a phone sends, what it gets back."""
import math
from datetime import timedelta

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from webargs.fields import DelimitedList

from ..models.types import utcnow

from .common import Moment, UnitRef

SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="sha256 must be 64 lowercase hex digits")


class Finite(fields.Float):
    """A float that refuses NaN and infinities."""

    def _validated(self, value):
        value = super()._validated(value)
        if value is not None and not math.isfinite(value):
            raise self.make_error("invalid")
        return value


class LocationIn(Schema):
    lat = Finite(required=True, validate=validate.Range(-90, 90))
    lon = Finite(required=True, validate=validate.Range(-180, 180))
    accuracy_m = Finite(load_default=None, allow_none=True, validate=validate.Range(0, 100_000))
    source = fields.String(required=True, validate=validate.OneOf(["device", "exif", "manual"]))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))


class PhotoDeclaration(Schema):
    id = fields.UUID(required=True)
    sha256 = fields.String(required=True, validate=SHA256)
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    content_type = fields.String(required=True, validate=validate.Length(max=40))


class CaseIn(Schema):
    """A case as the phone captured it (no photo bytes)."""

    category = fields.String(required=True, validate=validate.Length(min=1, max=60))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    location = fields.Nested(LocationIn, required=True)
    captured_at = Moment(required=True)
    covert = fields.Boolean(load_default=False)
    photos = fields.List(fields.Nested(PhotoDeclaration), load_default=list)

    @validates("captured_at")
    def _not_in_future(self, value, **kwargs):
        # Phone clocks drift; a day ahead is an error, minutes are not.
        if value > utcnow() + timedelta(hours=24):
            raise ValidationError("captured_at is in the future")

    @validates_schema
    def _description_limit(self, data, **kwargs):
        limit = current_app.config["DESCRIPTION_MAX"]
        if len(data.get("description") or "") > limit:
            raise ValidationError(f"at most {limit} characters", "description")


class ExifOut(Schema):
    lat = fields.Float()
    lon = fields.Float()
    taken_at = fields.String()
    taken_at_text = fields.String()
    make = fields.String()
    model = fields.String()
    orientation = fields.Integer()


class PhotoOut(Schema):
    id = fields.UUID()
    role = fields.String()
    sha256 = fields.String()
    received = fields.Boolean()
    size = fields.Integer()
    content_type = fields.String()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    exif = fields.Nested(ExifOut)
    urls = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)


class ActionRef(Schema):
    id = fields.Integer()
    name = fields.String()


class RoutingOut(Schema):
    rule = fields.String()
    reason = fields.String()


class LocationOut(Schema):
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    source = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class ReporterOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String(allow_none=True)


class EventOut(Schema):
    kind = fields.String()
    at = fields.AwareDateTime()
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    data = fields.Dict()
    actor = fields.Dict()


class CaseOut(Schema):
    """A case with its routing and photo manifest."""

    id = fields.UUID()
    number = fields.String()
    status = fields.String()
    source = fields.String()
    covert = fields.Boolean()
    category = fields.String()
    category_name = fields.String()
    action = fields.Nested(ActionRef)
    lead_unit = fields.Nested(UnitRef)
    cooperating_units = fields.List(fields.Nested(UnitRef))
    due_at = fields.AwareDateTime(allow_none=True)
    routing = fields.Nested(RoutingOut)
    description = fields.String()
    location = fields.Nested(LocationOut)
    captured_at = fields.AwareDateTime()
    received_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    photos = fields.List(fields.Nested(PhotoOut))
    missing_photos = fields.List(fields.UUID())
    flags = fields.List(fields.Dict())
    rework_count = fields.Integer()
    extensions = fields.Integer()
    reporter = fields.Nested(ReporterOut)
    contact = fields.Dict()
    allowed_actions = fields.List(fields.String())
    events = fields.List(fields.Nested(EventOut))
    overdue = fields.Boolean()
    extension_request = fields.Dict(allow_none=True)
    duplicate_of = fields.String(allow_none=True)


class CaseListQuery(Schema):
    status = DelimitedList(fields.String(validate=validate.OneOf(
        ["submitted", "dispatched", "accepted", "resolved", "closed", "rejected"])))
    action = fields.Integer(validate=validate.Range(1, 7))
    category = fields.String(validate=validate.Length(max=60))
    unit = fields.String(validate=validate.Length(max=40))
    since = Moment()
    cursor = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(validate=validate.Range(1, 200))
    overdue = fields.Boolean()
    due_within = fields.Integer(validate=validate.Range(1, 24 * 30),
                                metadata={"description": "hours: open cases due within this many hours"})
    order = fields.String(validate=validate.OneOf(["new", "due"]), load_default="new")
    source = fields.String(validate=validate.OneOf(["inspector", "covert", "public"]))
    flag = fields.String(validate=validate.OneOf(["exif_gps_far", "exif_time_far", "recurrence"]))
    from_ = Moment(data_key="from", attribute="from")
    to = Moment()


class TransitionIn(Schema):
    """One action on a case; `id` is the client's UUID for it, so a retry is harmless."""

    id = fields.UUID(required=True)
    action = fields.String(required=True, validate=validate.OneOf(
        ["dispatch", "accept", "resolve", "verify", "return", "request_transfer", "reject", "extend",
         "grant_extension", "reopen"]))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    photos = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=10))
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    due_at = Moment(load_default=None, allow_none=True)
    duplicate_of = fields.UUID(load_default=None, allow_none=True)


class NearbyOut(Schema):
    id = fields.UUID()
    number = fields.String()
    status = fields.String()
    category_name = fields.String()
    distance_m = fields.Integer()
    received_at = fields.AwareDateTime()
    thumb = fields.String(allow_none=True)


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseOut))
    next_cursor = fields.String(allow_none=True)
