"""Sign-in schemas."""
from marshmallow import Schema, fields, validate

from .common import UnitRef


class TokenIn(Schema):
    """Credentials."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=60))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class UserOut(Schema):
    """A signed-in user as the client sees themself."""

    id = fields.Integer()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    role = fields.String()
    unit = fields.Nested(UnitRef, allow_none=True)


class TokenOut(Schema):
    """A bearer token, shown once."""

    token = fields.String()
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserOut)
