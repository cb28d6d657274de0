"""Cases as their callers may see them: the covert reporter and staff identities stay hidden."""
from flask import has_request_context, request
from sqlalchemy import select

from ..extensions import db
from ..models import Event
from ..models.types import utcnow


def photo_view(photo):
    """One photo's public fields, with derivative URLs once received."""
    exif = dict(photo.exif or {})
    out = {"id": photo.id, "role": photo.role, "sha256": photo.sha256 or photo.declared_sha256,
           "received": photo.received, "size": photo.size or photo.declared_size,
           "content_type": photo.content_type or photo.declared_content_type,
           "width": photo.width, "height": photo.height, "exif": exif, "urls": None}
    if photo.received:
        out["urls"] = {v: photo_url(photo.sha256, v) for v in ("thumb", "medium", "original")}
    return out


def photo_url(sha256, variant):
    """The URL of GET /api/photos/<sha256>/<variant>.

    Written out rather than built with url_for, which cost a quarter of a gallery page's time
    (three URLs per photo, three photos per case, 48 cases per page).
    """
    root = request.script_root if has_request_context() else ""
    return f"{root}/api/photos/{sha256}/{variant}"


def case_view(case, viewer, with_events=True):
    """The case JSON for this viewer (lists leave the event history out: one query per case)."""
    staff = viewer is not None and viewer.is_staff
    own = viewer is not None and case.reporter_id == viewer.id
    source = case.source
    if case.covert and not (staff or own):
        source = "office"  # a covert case shows only 创卫办 as its source
    view = {
        "id": case.id, "number": case.number, "status": case.status, "source": source,
        "category": case.category.code, "category_name": case.category.name_zh,
        "action": {"id": case.action.id, "name": case.action.name_zh},
        "lead_unit": case.lead_unit.ref(),
        "cooperating_units": [u.ref() for u in case.cooperating_units],
        "due_at": case.due_at, "routing": {"rule": case.routing_rule, "reason": case.routing_reason},
        "description": case.description,
        "location": {"lat": case.lat, "lon": case.lon, "accuracy_m": case.accuracy_m,
                     "source": case.location_source, "address": case.address},
        "captured_at": case.captured_at, "received_at": case.received_at,
        "updated_at": case.updated_at,
        "photos": [photo_view(p) for p in case.photos],
        "missing_photos": [p.id for p in case.photos if not p.received],
        "flags": case.flags or [], "rework_count": case.rework_count,
        "extensions": case.extension_count,
    }
    if staff or own:
        view["covert"] = case.covert
    if staff and case.reporter is not None:
        view["reporter"] = {"id": case.reporter.id, "username": case.reporter.username,
                            "display_name": case.reporter.display_name}
    if staff and case.contact:
        view["contact"] = case.contact
    if viewer is not None:
        from .lifecycle import allowed_actions
        view["allowed_actions"] = allowed_actions(viewer, case)
        if with_events:
            view["events"] = events_view(case, viewer, staff, own)
    view["overdue"] = bool(case.due_at and case.status in ("dispatched", "accepted")
                           and case.due_at < utcnow())
    view["extension_request"] = case.extension_request
    view["duplicate_of"] = case.duplicate_of.number if case.duplicate_of else None
    return view


def events_view(case, viewer, staff, own):
    """The audit trail; only the office sees who acted by name, and a covert reporter is 创卫办."""
    rows = db.session.execute(select(Event).where(Event.case_pk == case.pk)
                              .order_by(Event.at, Event.id)).scalars().all()
    out = []
    for e in rows:
        role = e.actor_role
        if case.covert and role == "inspector" and not (staff or own):
            role = "office"
        item = {"kind": e.kind, "at": e.at, "from": e.from_status, "to": e.to_status,
                "note": e.note, "data": e.data or {}, "actor": {"role": role}}
        if staff and e.actor is not None:
            item["actor"].update(username=e.actor.username, display_name=e.actor.display_name)
        elif e.actor is not None and e.actor.unit is not None and role == "liaison":
            item["actor"]["unit"] = e.actor.unit.name
        out.append(item)
    return out
