"""Case lifecycle: transitions, duplicate suggestions, the in-app count of new items."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..schemas import CaseOut, NearbyOut, TransitionIn
from ..services import access, lifecycle, nearby, notify, presenter
from .security import current_user, require_user

bp = Blueprint("workflow", __name__, description="Dispatch, accept, resolve, verify, return …")


class CountOut(Schema):
    count = fields.Integer()
    seen_at = fields.AwareDateTime(allow_none=True)


@bp.post("/reports/<uuid:case_id>/transitions")
@require_user()
@bp.arguments(TransitionIn)
@bp.response(200, CaseOut)
def post_transition(data, case_id):
    """Take one action on a case (idempotent by the transition's id)."""
    user = current_user()
    case, _ = lifecycle.apply_transition(user, case_id, data)
    return presenter.case_view(case, user)


@bp.get("/reports/<uuid:case_id>/nearby")
@require_user("office", "admin")
@bp.response(200, NearbyOut(many=True))
def get_nearby(case_id):
    """Open cases of the same category within 100 m: possible duplicates."""
    case = access.get_visible_case(current_user(), case_id)
    out = []
    for other, distance in nearby.open_duplicates(case):
        photo = next((p for p in other.photos if p.received and p.role == "before"), None)
        view = presenter.photo_view(photo) if photo else None
        out.append({"id": other.id, "number": other.number, "status": other.status,
                    "category_name": other.category.name_zh, "distance_m": distance,
                    "received_at": other.received_at, "thumb": view["urls"]["thumb"] if view else None})
    return out


@bp.get("/notifications")
@require_user()
@bp.response(200, CountOut)
def get_notifications():
    """How many visible cases changed since the user last looked."""
    user = current_user()
    return {"count": notify.new_items_count(user), "seen_at": user.seen_at}


@bp.post("/notifications/seen")
@require_user()
@bp.response(200, CountOut)
def post_seen():
    """Mark everything as seen."""
    user = current_user()
    return {"count": 0, "seen_at": notify.mark_seen(user)}
