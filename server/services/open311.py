"""Open311 GeoReport v2: services from the catalog, public requests in and out."""
import hashlib
import hmac
import uuid
from datetime import datetime, timedelta, timezone

from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only

from ..errors import ApiError
from ..extensions import db
from ..models import Case, Category, Event, Photo
from ..models.types import utcnow
from ..schemas.common import EARLIEST, LATEST
from . import nearby, routing
from .sync import case_number

PUBLIC_SOURCES = ("public", "open311")
CLOSED = ("closed", "rejected")
STATUS_NOTES = {"submitted": "已受理，待分派", "dispatched": "已派遣至责任单位",
                "accepted": "责任单位处置中", "resolved": "已处置，待核查", "closed": "已核查结案",
                "rejected": "不予立案"}
MAX_RESULTS = 1000


def list_services():
    """Every active category as an Open311 service."""
    rows = db.session.execute(select(Category).where(Category.active.is_(True))
                              .order_by(Category.action_id, Category.position)).scalars()
    return [{"service_code": c.code, "service_name": c.name_zh, "description": c.name_en,
             "metadata": False, "type": "realtime", "keywords": c.keywords or "",
             "group": c.action.name_zh} for c in rows]


def service_definition(code):
    """The (attribute-less) definition of one service."""
    if not db.session.execute(select(Category.id).where(Category.code == code)).first():
        raise ApiError(404, "unknown_service", f"没有这个服务：{code}")
    return {"service_code": code, "attributes": []}


def media_signature(sha256):
    """HMAC that lets an Open311 client fetch one thumbnail without signing in."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"open311-thumb:{sha256}".encode(), hashlib.sha256).hexdigest()[:32]


def media_allowed(sha256, signature):
    """True when the signature is the one we issued for this photo."""
    # Bytes, not str: compare_digest raises TypeError on a non-ASCII str (a 500 for ?sig=é).
    return hmac.compare_digest(media_signature(sha256).encode(), (signature or "").encode())


def request_view(case, thumb_sha256):
    """A case as an Open311 service request; no staff or inspector identity."""
    media = None
    if thumb_sha256 is not None:
        # Written out rather than url_for(): a list of 1,000 requests spent a tenth of its time there.
        media = (f"{request.host_url.rstrip('/')}{request.script_root}/open311/v2/media/{thumb_sha256}"
                 f"/thumb.jpg?sig={media_signature(thumb_sha256)}")
    return {"service_request_id": case.number,
            "status": "closed" if case.status in CLOSED else "open",
            "status_notes": STATUS_NOTES.get(case.status, ""),
            "service_name": case.category.name_zh, "service_code": case.category.code,
            "description": case.description, "agency_responsible": case.lead_unit.name,
            "service_notice": "", "requested_datetime": case.received_at.isoformat(),
            "updated_datetime": case.updated_at.isoformat(),
            "expected_datetime": case.due_at.isoformat() if case.due_at else None,
            "address": case.address or "", "address_id": "", "zipcode": "",
            "lat": case.lat, "long": case.lon, "media_url": media}


def _views(query):
    """The requests of a case query, with each one's first received before-photo, in two queries."""
    # Only the columns a request shows: photo rows carry EXIF and cases carry much more.
    cases = db.session.execute(query.options(
        load_only(Case.pk, Case.number, Case.status, Case.description, Case.received_at, Case.updated_at,
                  Case.due_at, Case.address, Case.lat, Case.lon),
        joinedload(Case.category), joinedload(Case.lead_unit))).scalars().all()
    thumbs = {}
    if cases:
        rows = db.session.execute(
            select(Photo.case_pk, Photo.sha256)
            .where(Photo.case_pk.in_([c.pk for c in cases]), Photo.role == "before",
                   Photo.received_at.is_not(None))
            .order_by(Photo.case_pk, Photo.position))
        for pk, sha256 in rows:
            thumbs.setdefault(pk, sha256)
    return [request_view(c, thumbs.get(c.pk)) for c in cases]


def _scope(api_key):
    # Without a key only what the public sent is visible; with one, all but covert cases.
    if api_key is None:
        return Case.source.in_(PUBLIC_SOURCES)
    return Case.covert.is_(False)


def _parse_time(name, value):
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name} 不是 ISO 8601 时间", {name: [value]})
    if parsed.tzinfo is None:
        raise ApiError(400, "invalid_parameter", f"{name} 需要时区", {name: [value]})
    try:
        in_range = EARLIEST <= parsed.astimezone(timezone.utc) <= LATEST
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 has no UTC time
        in_range = False
    if not in_range:
        raise ApiError(400, "invalid_parameter", f"{name} 需在 1900–2999 年之间", {name: [value]})
    return parsed


def find_requests(params, api_key):
    """Requests filtered as GeoReport v2 describes (ids, service codes, dates, status)."""
    q = select(Case).where(_scope(api_key))
    if params.get("service_request_id"):
        return _views(q.where(Case.number.in_(params["service_request_id"].split(",")[:MAX_RESULTS])))
    if params.get("service_code"):
        q = q.join(Case.category).where(Category.code.in_(params["service_code"].split(",")))
    end = _parse_time("end_date", params["end_date"]) if params.get("end_date") else utcnow()
    start = (_parse_time("start_date", params["start_date"]) if params.get("start_date")
             else end - timedelta(days=90))
    q = q.where(Case.received_at >= start, Case.received_at <= end)
    if params.get("status"):
        wanted = set(params["status"].split(","))
        if not wanted <= {"open", "closed"}:
            raise ApiError(400, "invalid_parameter", "status 只能是 open 或 closed",
                           {"status": [params["status"]]})
        if wanted == {"open"}:
            q = q.where(Case.status.not_in(CLOSED))
        elif wanted == {"closed"}:
            q = q.where(Case.status.in_(CLOSED))
    return _views(q.order_by(Case.pk.desc()).limit(MAX_RESULTS))


def get_request(number, api_key):
    """One request by its number, within the caller's scope."""
    found = _views(select(Case).where(_scope(api_key), Case.number == number))
    if not found:
        raise ApiError(404, "request_not_found", f"没有这个请求：{number}")
    return found


def _float(form, name, low, high):
    value = form.get(name)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not (low <= number <= high):  # also false for NaN
        raise ApiError(400, "invalid_parameter", f"{name} 超出范围", {name: [value]})
    return number


def create_request(form, api_key):
    """A public case from an Open311 client; lands in `submitted` for the office to triage."""
    code = form.get("service_code", "")
    category = db.session.execute(select(Category).where(
        Category.code == code, Category.active.is_(True))).scalar_one_or_none()
    if category is None:
        raise ApiError(400, "unknown_service", f"没有这个服务：{code}", {"service_code": [code]})
    lat, lon = _float(form, "lat", -90, 90), _float(form, "long", -180, 180)
    address = (form.get("address_string") or "").strip()[:255] or None
    if (lat is None or lon is None) and not address:
        raise ApiError(400, "location_required", "需要 lat 和 long，或 address_string",
                       {"lat": ["required"], "long": ["required"]})
    description = (form.get("description") or "")[:current_app.config["DESCRIPTION_MAX"]]
    media_url = (form.get("media_url") or "")[:500] or None
    contact = {k: form.get(k)[:120] for k in ("email", "first_name", "last_name", "phone")
               if form.get(k)}
    assignment = routing.route(category, lat, lon)
    now = utcnow()
    case = Case(id=uuid.uuid4(), source="open311", category=category, action_id=category.action_id,
                description=description, lat=lat, lon=lon,
                location_source="manual" if lat is not None else None, address=address,
                captured_at=now, received_at=now, updated_at=now, status="submitted",
                lead_unit=assignment.lead_unit, cooperating_units=assignment.cooperating_units,
                routing_rule=assignment.rule, routing_reason=assignment.reason, flags=[],
                body_hash=hashlib.sha256(repr(sorted(form.items())).encode()).hexdigest(),
                api_key=api_key, contact=contact or None, media_url=media_url)
    db.session.add(case)
    db.session.flush()
    case.number = case_number(case)
    case.flags = nearby.recurrence_flags(case)
    db.session.add(Event(case_pk=case.pk, kind="create", actor_role="open311", to_status="submitted",
                         note=f"Open311: {api_key.name}", at=now))
    db.session.commit()
    return [{"service_request_id": case.number, "service_notice": "已受理，创卫办将分派处理",
             "account_id": None}]
