"""The catalog the PWA caches: actions, units, categories, zones, limits."""
from marshmallow import Schema, fields

from .common import UnitRef


class ActionOut(Schema):
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    lead_units = fields.List(fields.Nested(UnitRef))
    cooperating_units = fields.List(fields.Nested(UnitRef))


class DeadlineOut(Schema):
    value = fields.Integer()
    kind = fields.String(metadata={"description": "hours | workdays"})


class CategoryOut(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    action = fields.Integer()
    lead_unit = fields.Nested(UnitRef)
    cooperating_units = fields.List(fields.Nested(UnitRef))
    deadline = fields.Nested(DeadlineOut)
    auto_dispatch = fields.Boolean()
    photo_required = fields.Boolean()
    basis = fields.String(allow_none=True)
    keywords = fields.String(allow_none=True)
    initials = fields.String(metadata={"description": "pinyin initials of the Chinese name"})


class ZoneOut(Schema):
    code = fields.String()
    name = fields.String()
    lead_unit = fields.Nested(UnitRef)
    action = fields.Integer(allow_none=True)
    categories = fields.List(fields.String(), allow_none=True)
    priority = fields.Integer()
    geometry = fields.Dict()


class LimitsOut(Schema):
    photo_max_bytes = fields.Integer()
    photos_per_case = fields.Integer()
    photo_types = fields.List(fields.String())
    photo_max_pixels = fields.Integer()
    description_max = fields.Integer()


class MapOut(Schema):
    tile_url = fields.String()
    attribution = fields.String()
    crs = fields.String()


class CatalogOut(Schema):
    version = fields.Integer()
    actions = fields.List(fields.Nested(ActionOut))
    units = fields.List(fields.Nested(UnitRef))
    categories = fields.List(fields.Nested(CategoryOut))
    zones = fields.List(fields.Nested(ZoneOut))
    limits = fields.Nested(LimitsOut)
    map = fields.Nested(MapOut)
