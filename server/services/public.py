"""Public complaints (群众投诉): a form without sign-in, rate-limited per address, with a status page."""
import hashlib
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from ..errors import ApiError
from ..extensions import db
from ..models import Case, Category, Event, RateHit
from ..models.types import utcnow
from . import nearby, photos, routing
from .open311 import STATUS_NOTES
from .sync import case_number

RATE_BUCKET = "public_report"


def _rate_limit(remote_addr):
    cfg = current_app.config
    window = timedelta(hours=1)
    now = utcnow()
    db.session.execute(delete(RateHit).where(RateHit.at < now - window))
    used = db.session.scalar(select(func.count()).select_from(RateHit).where(
        RateHit.bucket == RATE_BUCKET, RateHit.key == remote_addr))
    if used >= cfg["PUBLIC_REPORTS_PER_HOUR"]:
        db.session.commit()
        raise ApiError(429, "too_many_reports", "提交过于频繁，请一小时后再试",
                       headers={"Retry-After": "3600"})
    db.session.add(RateHit(bucket=RATE_BUCKET, key=remote_addr[:64], at=now))
    db.session.commit()


def submit(data, files, remote_addr):
    """Create a public case in `submitted` with its photos; returns (case, receipt code)."""
    category = db.session.execute(select(Category).where(
        Category.code == data["category"], Category.active.is_(True))).scalar_one_or_none()
    if category is None:
        raise ApiError(422, "unknown_category", "没有这个问题类型", {"category": [data["category"]]})
    if not files:
        raise ApiError(422, "photo_required", "请至少上传一张照片", {"photo": ["required"]})
    if len(files) > current_app.config["PHOTOS_PER_CASE"]:
        raise ApiError(422, "invalid_photos", "照片太多", {"photo": ["too many"]})
    _rate_limit(remote_addr)
    uploads = []
    try:
        for f in files:
            uploads.append(photos.receive_upload(f.stream, None, f.mimetype))
        # Every photo is checked before the case exists: a refused photo leaves no half case behind.
        decoded = [(upload, photos.decode_upload(upload)) for upload in uploads]
        return _create(data, category, decoded)
    finally:
        for upload in uploads:
            photos.get_store(current_app).discard(upload)


def _create(data, category, decoded):
    now = utcnow()
    receipt = secrets.token_urlsafe(6)
    assignment = routing.route(category, data["lat"], data["lon"])
    contact = {k: data[k] for k in ("name", "phone") if data.get(k)}
    case = Case(id=uuid.uuid4(), source="public", category=category, action_id=category.action_id,
                description=data.get("description") or "", lat=data["lat"], lon=data["lon"],
                accuracy_m=data.get("accuracy_m"), location_source=data.get("location_source") or "manual",
                address=data.get("address"), captured_at=now, received_at=now, updated_at=now,
                status="submitted", lead_unit=assignment.lead_unit,
                cooperating_units=assignment.cooperating_units, routing_rule=assignment.rule,
                routing_reason=assignment.reason, flags=[], body_hash=hashlib.sha256(receipt.encode()).hexdigest(),
                contact=contact or None, receipt_hash=hashlib.sha256(receipt.encode()).hexdigest())
    db.session.add(case)
    db.session.flush()
    case.number = case_number(case)
    case.flags = nearby.recurrence_flags(case)
    db.session.add(Event(case_pk=case.pk, kind="create", actor_role="public", to_status="submitted", at=now))
    db.session.commit()
    for upload, derived in decoded:
        photos.store_upload(case, uuid.uuid4(), None, upload, "before", None, derived)
    return case, receipt


def status(number, receipt):
    """What a complainant may see of their case: progress, never staff names."""
    case = db.session.execute(select(Case).where(Case.number == number)).scalar_one_or_none()
    if case is None or not receipt or case.receipt_hash != hashlib.sha256(receipt.encode()).hexdigest():
        raise ApiError(404, "not_found", "没有找到这个编号，或查询码不对")
    history = db.session.execute(select(Event).where(
        Event.case_pk == case.pk, Event.from_status.is_distinct_from(Event.to_status))
        .order_by(Event.at, Event.id)).scalars().all()
    return {"number": case.number, "status": case.status, "status_label": STATUS_NOTES[case.status],
            "category": case.category.name_zh, "received_at": case.received_at,
            "lead_unit": case.lead_unit.name if case.status != "submitted" else None,
            "due_at": case.due_at,
            "history": [{"at": e.at, "status": e.to_status, "label": STATUS_NOTES[e.to_status]}
                        for e in history]}
