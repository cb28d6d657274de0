"""The case state machine: who may do what, from which status, with what proof; every step audited.

submitted ─dispatch→ dispatched ─accept→ accepted ─resolve→ resolved ─verify→ closed
return: resolved → accepted (rework +1) · request_transfer: dispatched|accepted → submitted
reject: submitted → rejected · extend / grant_extension: due date only · reopen: closed → dispatched
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..errors import ApiError
from ..extensions import db
from ..models import Case, Event, Photo, Unit
from ..models.types import utcnow
from . import access, deadlines, notify, routing

OFFICE, UNIT = "office", "unit"


@dataclass(frozen=True)
class Rule:
    """Where an action may start, where it leads (None: status unchanged), and who may take it."""

    sources: tuple
    target: str | None
    actors: tuple
    needs_note: bool = False


RULES = {
    "dispatch": Rule(("submitted", "dispatched", "accepted"), "dispatched", (OFFICE,)),
    "accept": Rule(("dispatched",), "accepted", (UNIT,)),
    "resolve": Rule(("accepted",), "resolved", (UNIT,), needs_note=True),
    "verify": Rule(("resolved",), "closed", (OFFICE,)),
    "return": Rule(("resolved",), "accepted", (OFFICE,), needs_note=True),
    "request_transfer": Rule(("dispatched", "accepted"), "submitted", (UNIT,), needs_note=True),
    "reject": Rule(("submitted",), "rejected", (OFFICE,), needs_note=True),
    "extend": Rule(("dispatched", "accepted"), None, (UNIT,), needs_note=True),
    "grant_extension": Rule(("dispatched", "accepted"), None, (OFFICE,)),
    "reopen": Rule(("closed", "rejected"), None, (OFFICE,), needs_note=True),
}
ACTIONS = tuple(RULES)


def actor_kind(user, case):
    """OFFICE for office and admin, UNIT for a liaison of the case's lead unit, else None."""
    if user.is_staff:
        return OFFICE
    if user.role == "liaison" and user.unit_id is not None and user.unit_id == case.lead_unit_id:
        return UNIT
    return None


def allowed_actions(user, case):
    """The actions this user may take on this case now."""
    kind = actor_kind(user, case)
    return [name for name, rule in RULES.items() if kind in rule.actors and case.status in rule.sources]


def _fail(status, code, message, **errors):
    raise ApiError(status, code, message, {k: v if isinstance(v, list) else [v] for k, v in errors.items()})


def _photos(case, ids, role):
    """The received photos of this case and role named by ids; 422 naming any that are not."""
    if not ids:
        return []
    rows = db.session.execute(select(Photo).where(Photo.id.in_(ids))).scalars().all()
    found = {p.id: p for p in rows if p.case_pk == case.pk and p.role == role and p.received}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        _fail(422, "photo_not_ready", f"照片未上传或不属于此案件（需为 {role} 照片）", photos=missing)
    return [found[i] for i in ids]


def _future_due(data, case):
    due = data.get("due_at")
    if due is None:
        _fail(422, "due_at_required", "需要新的期限 due_at", due_at="required")
    if due <= utcnow() or (case.due_at and due <= case.due_at):
        _fail(422, "due_at_too_early", "新的期限必须晚于现在和原期限", due_at=due.isoformat())
    return due


def _dispatch(user, case, data, now, event):
    unit = db.session.execute(select(Unit).where(Unit.code == (data.get("unit") or ""))).scalar_one_or_none()
    if unit is None or unit.kind == "office":
        _fail(422, "unknown_unit", "请选择一个责任单位", unit=data.get("unit") or "required")
    suggested = routing.route(case.category, case.lat, case.lon)
    if unit.id != suggested.lead_unit.id and not data.get("note"):
        _fail(422, "reason_required", f"改派给非建议单位（建议：{suggested.lead_unit.name}）需要说明理由",
              note="required")
    case.lead_unit = unit
    case.cooperating_units = [u for u in suggested.cooperating_units if u.id != unit.id]
    case.due_at = deadlines.due_at(now, case.category.deadline_value, case.category.deadline_kind)
    case.extension_request = None
    case.overdue_notified_at = None
    event.data = {"unit": unit.code, "suggested": suggested.lead_unit.code, "due_at": case.due_at.isoformat()}
    notify.enqueue(unit, "assigned", case)


def _apply(user, case, action, data, now, event):
    """Change the case for one allowed action (the caller has already set the new status)."""
    if action == "dispatch":
        _dispatch(user, case, data, now, event)
    elif action == "resolve":
        photos = _photos(case, data.get("photos"), "after")
        if not photos:
            _fail(422, "after_photo_required", "处置完成需要至少一张整改后照片", photos="required")
        event.data = {"photos": [str(p.id) for p in photos]}
    elif action == "verify":
        photos = _photos(case, data.get("photos"), "verify")
        event.data = {"photos": [str(p.id) for p in photos]} if photos else None
    elif action == "return":
        case.rework_count += 1
        notify.enqueue(case.lead_unit, "returned", case, data["note"])
    elif action == "request_transfer":
        case.due_at = None
    elif action == "reject":
        if data.get("duplicate_of"):
            original = db.session.execute(
                select(Case).where(Case.id == data["duplicate_of"])).scalar_one_or_none()
            if original is None or original.pk == case.pk:
                _fail(422, "unknown_case", "重复的原案件不存在", duplicate_of=str(data["duplicate_of"]))
            case.duplicate_of = original
            event.data = {"duplicate_of": original.number}
        case.due_at = None
    elif action == "extend":
        due = _future_due(data, case)
        case.extension_request = {"due_at": due.isoformat(), "note": data["note"], "at": now.isoformat()}
        event.data = {"due_at": due.isoformat()}
    elif action == "grant_extension":
        due = _future_due(data, case)
        event.data = {"due_at": due.isoformat(), "previous": case.due_at.isoformat() if case.due_at else None}
        case.due_at = due
        case.extension_count += 1
        case.extension_request = None
        case.overdue_notified_at = None
    elif action == "reopen" and event.to_status == "dispatched":
        case.due_at = deadlines.due_at(now, case.category.deadline_value, case.category.deadline_kind)
        case.overdue_notified_at = None
        notify.enqueue(case.lead_unit, "assigned", case)


def _replay(user, case_id, transition_id, action):
    """The case if this transition id was already applied by this user to this case (a retry), else None."""
    event = db.session.execute(select(Event).where(Event.client_id == transition_id)).scalar_one_or_none()
    if event is None:
        return None
    case = db.session.get(Case, event.case_pk)
    if case.id != case_id or event.kind != action or event.actor_id != user.id:
        _fail(409, "transition_conflict", "此操作编号已用于另一个操作", id=str(transition_id))
    # Answered even when the action took the case out of the user's sight (a transfer request).
    return case


def apply_transition(user, case_id, data):
    """Take one action on a case; a retried transition id returns the case with no second event.

    Returns (case, applied).
    """
    action = data["action"]
    replayed = _replay(user, case_id, data["id"], action)
    if replayed is not None:
        return replayed, False
    case = access.get_visible_case(user, case_id)
    rule = RULES[action]
    if actor_kind(user, case) not in rule.actors:
        _fail(403, "forbidden", "当前角色或单位无权执行此操作", action=action)
    if case.status not in rule.sources:
        replayed = _replay(user, case_id, data["id"], action)
        if replayed is not None:  # this very transition committed since we first looked
            return replayed, False
        _fail(409, "illegal_transition", f"案件当前状态为 {case.status}，不能执行 {action}",
              allowed=allowed_actions(user, case))
    if rule.needs_note and not (data.get("note") or "").strip():
        _fail(422, "reason_required", "此操作需要填写理由或说明", note="required")
    now = utcnow()
    # Claim the case in its current status first: of two different actions racing on one case,
    # the second finds the status changed, and is told so instead of being applied on stale state.
    claimed = db.session.execute(
        update(Case).where(Case.pk == case.pk, Case.status == case.status).values(updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        replayed = _replay(user, case_id, data["id"], action)
        if replayed is not None:  # the same transition, retried while the first was committing
            return replayed, False
        case = access.get_visible_case(user, case_id)
        _fail(409, "illegal_transition", f"案件状态刚被他人改为 {case.status}，不能执行 {action}",
              allowed=allowed_actions(user, case))
    event = Event(case_pk=case.pk, client_id=data["id"], kind=action, actor_id=user.id,
                  actor_role=user.role, from_status=case.status, to_status=rule.target or case.status,
                  note=(data.get("note") or "").strip() or None, at=now)
    if action == "reopen":
        event.to_status = "dispatched" if case.status == "closed" else "submitted"
    # The new status first, so notifications queued by _apply describe the case after the step.
    case.status = event.to_status
    if action == "dispatch" and case.dispatched_at is None:
        case.dispatched_at = now
    elif action == "resolve":
        case.resolved_at = now  # the last resolve counts: a returned case is timed to its rework
    _apply(user, case, action, data, now, event)
    case.updated_at = now
    db.session.add(event)
    try:
        db.session.commit()
    except IntegrityError:
        # The same transition id arrived twice at once; the other request applied it.
        db.session.rollback()
        replayed = _replay(user, case_id, data["id"], action)
        if replayed is None:
            raise
        return replayed, False
    return case, True


def overdue_clause(now=None):
    """Open in a unit's hands and past its due date."""
    now = now or utcnow()
    return Case.status.in_(("dispatched", "accepted")) & (Case.due_at < now)


def due_soon_clause(hours, now=None):
    """Open in a unit's hands and due within the next `hours`."""
    now = now or utcnow()
    return Case.status.in_(("dispatched", "accepted")) & (Case.due_at >= now) & (
        Case.due_at < now + timedelta(hours=hours))
