"""Case filters shared by lists, the gallery, the map and exports: one place, one meaning."""
from sqlalchemy import String, cast

from ..models import Case, Category, Unit
from . import access, lifecycle


def filtered_cases(user, filters):
    """A select() of the cases the user may read, narrowed by the given filters."""
    q = access.visible_cases(user)
    if filters.get("status"):
        q = q.where(Case.status.in_(filters["status"]))
    if filters.get("action"):
        q = q.where(Case.action_id == filters["action"])
    if filters.get("category"):
        q = q.where(Case.category.has(Category.code == filters["category"]))
    if filters.get("unit"):
        q = q.where(Case.lead_unit.has(Unit.code == filters["unit"]))
    source = filters.get("source")
    if source == "covert":
        q = q.where(Case.covert.is_(True))
    elif source == "inspector":
        q = q.where(Case.source == "inspector", Case.covert.is_(False))
    elif source == "public":
        q = q.where(Case.source.in_(("public", "open311")))
    if filters.get("flag"):
        # Flags are a JSON list of objects; their serialised text is the same on SQLite and PostgreSQL.
        q = q.where(cast(Case.flags, String).like(f'%"code": "{filters["flag"]}"%'))
    if filters.get("from"):
        q = q.where(Case.received_at >= filters["from"])
    if filters.get("to"):
        q = q.where(Case.received_at < filters["to"])
    if filters.get("overdue"):
        q = q.where(lifecycle.overdue_clause())
    if filters.get("due_within"):
        q = q.where(lifecycle.due_soon_clause(filters["due_within"]))
    if filters.get("since"):
        q = q.where(Case.updated_at > filters["since"])
    return q
