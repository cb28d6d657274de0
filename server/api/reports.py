"""Case sync: PUT a case by its client UUID, read it back, list cases."""
from flask_smorest import Blueprint

from ..schemas import CaseIn, CaseListQuery, CaseOut, CasePage
from ..services import access, presenter, sync
from .security import current_user, require_user

bp = Blueprint("reports", __name__, description="Cases synced from phones")


@bp.put("/reports/<uuid:case_id>")
@require_user()
@bp.arguments(CaseIn)
@bp.response(200, CaseOut, description="An identical replay")
@bp.alt_response(201, schema=CaseOut, description="Created")
def put_case(data, case_id):
    """Create or replay a case sent by a phone."""
    user = current_user()
    case, created = sync.upsert_case(user, case_id, data)
    return presenter.case_view(case, user), (201 if created else 200)


@bp.get("/reports/<uuid:case_id>")
@require_user()
@bp.response(200, CaseOut)
def get_case(case_id):
    """One case with its photo manifest."""
    user = current_user()
    return presenter.case_view(access.get_visible_case(user, case_id), user)


@bp.get("/reports")
@require_user()
@bp.arguments(CaseListQuery, location="query")
@bp.response(200, CasePage)
def list_cases(filters):
    """Cases the caller may see, newest first, with cursor paging."""
    user = current_user()
    cases, next_cursor = sync.list_cases(user, filters)
    return {"items": [presenter.case_view(c, user, with_events=False) for c in cases],
            "next_cursor": next_cursor}
