"""Shared schema pieces."""
from marshmallow import Schema, fields


class UnitRef(Schema):
    """A unit everywhere in the API: {code, name}."""

    code = fields.String()
    name = fields.String()


class ErrorOut(Schema):
    """The error envelope."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict()
