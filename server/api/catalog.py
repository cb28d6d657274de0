"""The catalog phones cache (ETag + 304)."""
from flask import jsonify, request
from flask_smorest import Blueprint

from ..schemas import CatalogOut
from ..services import catalog
from .security import require_user

bp = Blueprint("catalog", __name__, description="Actions, units, categories, zones, limits")


@bp.get("/catalog")
@require_user()
@bp.doc(responses={"304": {"description": "Not modified"}})
@bp.response(200, CatalogOut)
def get_catalog():
    """The whole catalog; send If-None-Match to get 304 when unchanged."""
    document = catalog.catalog_document()
    etag = catalog.etag_for(document)
    if etag in request.if_none_match:
        resp = jsonify()
        resp.status_code = 304
    else:
        resp = jsonify(CatalogOut().dump(document))
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp
