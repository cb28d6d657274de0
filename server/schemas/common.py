"""Shared schema pieces."""
from datetime import date, datetime, timezone

from marshmallow import Schema, fields, validate

# Every date the API takes lies in these years: far wider than any real case, and narrow enough
# that converting to UTC or adding a deadline can never overflow Python's datetime (years 1–9999).
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
DATE_RANGE = validate.Range(date(1900, 1, 1), date(2999, 12, 31), error="must be between 1900 and 2999")


class Moment(fields.AwareDateTime):
    """An aware datetime between 1900 and 2999 (e.g. 0001-01-01T00:00+14:00 overflowed in UTC)."""

    default_error_messages = {"range": "must be between 1900 and 2999"}

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = moment.astimezone(timezone.utc)
        except OverflowError:
            raise self.make_error("range")
        if not EARLIEST <= utc <= LATEST:
            raise self.make_error("range")
        return moment


class UnitRef(Schema):
    """A unit everywhere in the API: {code, name}."""

    code = fields.String()
    name = fields.String()


class ErrorOut(Schema):
    """The error envelope."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict()
