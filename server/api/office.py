"""The office's tools: evaluation for a period, exports (xlsx, CSV, GeoJSON, evidence pack)."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, current_app, jsonify, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validates_schema, ValidationError

from ..schemas.cases import CaseListQuery
from ..schemas.common import DATE_RANGE
from ..services import evaluation, exports
from .security import current_user, require_user

bp = Blueprint("office", __name__, description="Evaluation and exports (office)")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeriodQuery(Schema):
    """A period of whole local days: from (inclusive) to (inclusive), as dates."""

    from_ = fields.Date(required=True, data_key="from", attribute="from", validate=DATE_RANGE)
    to = fields.Date(required=True, validate=DATE_RANGE)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["to"] < data["from"]:
            raise ValidationError("to must not be before from", "to")


class ExportQuery(CaseListQuery):
    class Meta:
        exclude = ("cursor", "limit", "order", "since")


def _period(query):
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    start = datetime.combine(query["from"], time.min, tzinfo=tz)
    end = datetime.combine(query["to"] + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def _download(body, mimetype, filename):
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/evaluation")
@require_user("office", "admin")
@bp.arguments(PeriodQuery, location="query")
@bp.doc(responses={"200": {"description": "Figures per unit and per action, totals, weights",
                           "content": {"application/json": {"schema": {"type": "object"}}}}})
def get_evaluation(query):
    """Per unit and per action: assigned, closed, on time, overdue, returned, extended; rates and score."""
    return jsonify(evaluation.evaluate(*_period(query)))


@bp.get("/exports/evaluation.xlsx")
@require_user("office", "admin")
@bp.arguments(PeriodQuery, location="query")
def export_evaluation(query):
    """The evaluation as an Excel workbook."""
    body = exports.evaluation_xlsx(evaluation.evaluate(*_period(query)))
    return _download(body, XLSX, f"evaluation-{query['from']}-{query['to']}.xlsx")


@bp.get("/exports/cases.<any(xlsx, csv, geojson):fmt>")
@require_user("office", "admin")
@bp.arguments(ExportQuery, location="query")
@bp.doc(responses={"200": {"description": "The cases as a workbook, CSV or a GeoJSON FeatureCollection",
                           "content": {XLSX: {}, "text/csv": {},
                                       "application/geo+json": {"schema": {"type": "object"}}}}})
def export_cases(query, fmt):
    """The cases matching the gallery's filters."""
    user = current_user()
    if fmt == "xlsx":
        return _download(exports.cases_xlsx(user, query), XLSX, "cases.xlsx")
    if fmt == "csv":
        return _download(exports.cases_csv(user, query), "text/csv; charset=utf-8", "cases.csv")
    resp = jsonify(exports.cases_geojson(user, query))
    resp.mimetype = "application/geo+json"
    return resp


@bp.get("/exports/evidence.zip")
@require_user("office", "admin")
@bp.arguments(ExportQuery, location="query")
def export_evidence(query):
    """Originals, event histories and a SHA-256 manifest for the filtered cases."""
    return send_file(exports.evidence_pack(current_user(), query), mimetype="application/zip",
                     as_attachment=True, download_name="evidence.zip")
