"""Idempotent case sync: a phone may send the same case any number of times; it is stored once."""
import base64
import hashlib
import json
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..errors import ApiError
from ..extensions import db
from ..models import Case, Category, Event, Photo
from ..models.types import utcnow
from . import case_query, nearby, notify, routing

CASE_WRITERS = ("inspector", "office", "admin")


def body_hash(data):
    """A stable digest of a loaded case body, so a replay can be told from a different body."""
    canonical = dict(data)
    canonical["captured_at"] = data["captured_at"].astimezone(ZoneInfo("UTC")).isoformat()
    canonical["photos"] = [{**p, "id": str(p["id"])} for p in data.get("photos", [])]
    blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _check_photos(photos):
    """Refuse, at declaration, photos whose size or type already rule them out."""
    cfg = current_app.config
    errors = {}
    if len(photos) > cfg["PHOTOS_PER_CASE"]:
        errors["photos"] = [f"最多 {cfg['PHOTOS_PER_CASE']} 张照片"]
    ids = [p["id"] for p in photos]
    if len(set(ids)) != len(ids):
        errors["photos"] = ["照片 id 重复"]
    for i, p in enumerate(photos):
        problems = []
        if p["size"] > cfg["PHOTO_MAX_BYTES"]:
            problems.append(f"照片 {p['id']} 超过 {cfg['PHOTO_MAX_BYTES'] // (1024 * 1024)} MB")
        if p["content_type"] not in cfg["PHOTO_TYPES"]:
            problems.append(f"照片 {p['id']} 的类型 {p['content_type']} 不被接受")
        if problems:
            errors[f"photos.{i}"] = problems
    if errors:
        raise ApiError(422, "invalid_photos", "照片不符合要求", errors)
    taken = db.session.execute(select(Photo.id).where(Photo.id.in_(ids))).scalars().all()
    if taken:
        raise ApiError(409, "photo_id_taken", "照片 id 已属于另一个案件",
                       {"photos": [str(t) for t in taken]})


def _existing(user, case_id, digest):
    case = db.session.execute(select(Case).where(Case.id == case_id)).scalar_one_or_none()
    if case is None:
        return None
    if case.body_hash != digest or case.reporter_id != user.id:
        raise ApiError(409, "case_conflict", "同一案件编号已用于不同的内容",
                       {"id": [str(case_id)]})
    return case


def upsert_case(user, case_id, data):
    """Store a case once; an identical replay returns it, a different body under the same id is a conflict.

    Returns (case, created).
    """
    if user.role not in CASE_WRITERS:
        raise ApiError(403, "forbidden", "只有巡查员和创卫办可以上报案件")
    digest = body_hash(data)
    case = _existing(user, case_id, digest)
    if case is not None:
        return case, False
    category = db.session.execute(
        select(Category).where(Category.code == data["category"], Category.active.is_(True))
    ).scalar_one_or_none()
    if category is None:
        raise ApiError(422, "unknown_category", "没有这个问题类型", {"category": [data["category"]]})
    photos = data.get("photos", [])
    if category.photo_required and not photos:
        raise ApiError(422, "photo_required", "此类问题至少需要一张照片", {"photos": ["required"]})
    try:
        _check_photos(photos)
    except ApiError as err:
        # An identical PUT that committed after _existing looked holds these photo ids: a replay.
        case = _existing(user, case_id, digest) if err.code == "photo_id_taken" else None
        if case is None:
            raise
        return case, False
    try:
        case = _create(user, case_id, data, category, digest)
    except IntegrityError:
        # A concurrent identical PUT won the race: answer as a replay (or a conflict).
        db.session.rollback()
        case = _existing(user, case_id, digest)
        if case is None:
            raise
        return case, False
    return case, True


def _create(user, case_id, data, category, digest):
    now = utcnow()
    loc = data["location"]
    dispatch = category.auto_dispatch
    assignment = routing.route(category, loc["lat"], loc["lon"], start=now if dispatch else None)
    case = Case(
        id=case_id, source="inspector", covert=data.get("covert", False), category=category,
        action_id=category.action_id, description=data.get("description") or "",
        lat=loc["lat"], lon=loc["lon"], accuracy_m=loc.get("accuracy_m"),
        location_source=loc["source"], address=loc.get("address"),
        captured_at=data["captured_at"], received_at=now, updated_at=now,
        status="dispatched" if dispatch else "submitted", lead_unit=assignment.lead_unit,
        cooperating_units=assignment.cooperating_units, due_at=assignment.due_at,
        routing_rule=assignment.rule, routing_reason=assignment.reason, flags=[],
        body_hash=digest, reporter=user,
    )
    for position, p in enumerate(data.get("photos", [])):
        case.photos.append(Photo(id=p["id"], role="before", position=position,
                                 declared_sha256=p["sha256"], declared_size=p["size"],
                                 declared_content_type=p["content_type"]))
    db.session.add(case)
    db.session.flush()
    case.number = case_number(case)
    case.flags = nearby.recurrence_flags(case)
    db.session.add(Event(case_pk=case.pk, kind="create", actor_id=user.id, actor_role=user.role,
                         to_status="submitted", at=now))
    if dispatch:
        case.dispatched_at = now
        notify.enqueue(assignment.lead_unit, "assigned", case)
        db.session.add(Event(case_pk=case.pk, kind="dispatch", actor_role="system",
                             from_status="submitted", to_status="dispatched",
                             note=assignment.reason, data={"unit": assignment.lead_unit.code},
                             at=now))
    user.last_sync_at = now
    db.session.commit()
    return case


def case_number(case):
    """The human case number: year of receipt and a running number, e.g. 2026-000123."""
    year = case.received_at.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).year
    return f"{year}-{case.pk:06d}"


def encode_cursor(pk):
    """An opaque cursor for the next page."""
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """The pk a cursor stands for; 422 when it is not one of ours."""
    try:
        pk = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        pk = None
    # A pk outside 64 bits overflowed the SQLite driver and PostgreSQL's bigint: a 500, not a 422.
    if pk is None or not 0 < pk < 2**63:
        raise ApiError(422, "invalid_cursor", "分页游标无效", {"cursor": [cursor]})
    return pk


def list_cases(user, filters):
    """A page of the cases the user may read, newest first: (cases, next_cursor)."""
    # Everything a list item shows, loaded in a few queries for the whole page rather than per case.
    q = case_query.filtered_cases(user, filters).options(
        selectinload(Case.photos), selectinload(Case.cooperating_units), joinedload(Case.category),
        joinedload(Case.lead_unit), joinedload(Case.action), joinedload(Case.duplicate_of))
    if filters.get("order") == "due":
        # Work lists (a unit's inbox) come soonest-due first; they are short, so no cursor.
        limit = min(filters.get("limit") or 200, current_app.config["PAGE_MAX"])
        rows = db.session.execute(q.order_by(Case.due_at.is_(None), Case.due_at, Case.pk).limit(limit))
        return rows.scalars().all(), None
    if filters.get("cursor"):
        q = q.where(Case.pk < decode_cursor(filters["cursor"]))
    limit = min(filters.get("limit") or 50, current_app.config["PAGE_MAX"])
    rows = db.session.execute(q.order_by(Case.pk.desc()).limit(limit + 1)).scalars().all()
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor
