"""Open311 GeoReport v2 in JSON and XML at /open311/v2/."""
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, jsonify, request, send_file

from ..errors import ApiError
from ..input_guard import check_pairs
from ..services import auth, open311, photos

bp = Blueprint("open311", __name__)
FORMATS = "any(json, xml)"
LIST_ROOTS = {"services": ("services", "service"), "requests": ("service_requests", "request")}


def _xml_value(parent, key, value):
    el = ET.SubElement(parent, key)
    if isinstance(value, bool):
        el.text = "true" if value else "false"
    elif isinstance(value, list):
        for item in value:
            _xml_value(el, key[:-1] if key.endswith("s") else "item", item)
    elif value is not None:
        el.text = str(value)


def render(fmt, payload, kind, status=200):
    """JSON as is, or XML with the root and item names of GeoReport v2."""
    if fmt == "json":
        resp = jsonify(payload)
        resp.status_code = status
        return resp
    if isinstance(payload, list):
        root_name, item_name = LIST_ROOTS[kind]
        root = ET.Element(root_name)
        for item in payload:
            node = ET.SubElement(root, item_name)
            for k, v in item.items():
                _xml_value(node, k, v)
    else:
        root = ET.Element("service_definition")
        for k, v in payload.items():
            _xml_value(root, k, v)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")
    return Response(body, status=status, mimetype="text/xml")


@bp.errorhandler(ApiError)
def open311_error(err):
    """XML clients get GeoReport's <errors>; JSON clients the project's envelope."""
    if request.path.endswith(".xml"):
        root = ET.Element("errors")
        node = ET.SubElement(root, "error")
        ET.SubElement(node, "code").text = str(err.status)
        ET.SubElement(node, "description").text = err.message
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")
        return Response(body, status=err.status, mimetype="text/xml")
    resp = jsonify({"code": err.code, "message": err.message, "errors": err.errors})
    resp.status_code = err.status
    return resp


def _api_key(required):
    raw = request.values.get("api_key")
    key = auth.api_key_for(raw)
    if (raw and key is None) or (required and key is None):
        raise ApiError(403, "invalid_api_key", "api_key 无效或缺失")
    return key


@bp.get(f"/services.<{FORMATS}:fmt>")
def services(fmt):
    """Service list: the catalog's categories, grouped by action."""
    return render(fmt, open311.list_services(), "services")


@bp.get(f"/services/<string:code>.<{FORMATS}:fmt>")
def service_definition(code, fmt):
    """Service definition (no extra attributes)."""
    return render(fmt, open311.service_definition(code), "definition")


@bp.get(f"/requests.<{FORMATS}:fmt>")
def get_requests(fmt):
    """Service requests, filtered per the spec."""
    return render(fmt, open311.find_requests(request.args, _api_key(False)), "requests")


@bp.post(f"/requests.<{FORMATS}:fmt>")
def post_request(fmt):
    """Create a public service request (needs an api_key)."""
    check_pairs(request.form.items(multi=True), "form")
    return render(fmt, open311.create_request(request.form, _api_key(True)), "requests", 201)


@bp.get(f"/requests/<string:number>.<{FORMATS}:fmt>")
def get_request(number, fmt):
    """One service request."""
    return render(fmt, open311.get_request(number, _api_key(False)), "requests")


@bp.get("/media/<string:sha256>/thumb.jpg")
def media(sha256):
    """A thumbnail behind a media_url we issued (signed, no sign-in)."""
    if not open311.media_allowed(sha256, request.args.get("sig")):
        raise ApiError(404, "not_found", "没有这张照片")
    resp = send_file(photos.derivative_file(sha256, "thumb"), mimetype="image/jpeg",
                     etag=f"{sha256}-thumb", conditional=True, max_age=31536000)
    return resp
