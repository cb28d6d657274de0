"""Who may see which case: the one place per-unit authorization lives for case queries."""
from sqlalchemy import and_, false, select, true

from ..errors import ApiError
from ..extensions import db
from ..models import Case

# A liaison sees a case once it is assigned to their unit, not while the office still triages it.
LIAISON_HIDDEN_STATUSES = ("submitted", "rejected")


def visibility_clause(user):
    """A SQL condition limiting cases to those the user may read."""
    if user.is_staff:
        return true()
    if user.role == "inspector":
        return Case.reporter_id == user.id
    if user.role == "liaison" and user.unit_id is not None:
        return and_(Case.lead_unit_id == user.unit_id, Case.status.not_in(LIAISON_HIDDEN_STATUSES))
    return false()


def visible_cases(user):
    """A select() of the cases the user may read."""
    return select(Case).where(visibility_clause(user))


def get_visible_case(user, case_id):
    """The case if the user may read it; 404 otherwise (no hint that it exists)."""
    case = db.session.execute(visible_cases(user).where(Case.id == case_id)).scalar_one_or_none()
    if case is None:
        raise ApiError(404, "case_not_found", "案件不存在或无权查看")
    return case
