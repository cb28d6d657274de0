"""Photo bytes: streamed upload per declared photo, and originals/derivatives for viewers."""
from flask import current_app, request, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..errors import ApiError
from ..schemas.cases import PhotoOut
from ..services import photos, presenter
from .security import current_user, optional_user, require_user

bp = Blueprint("photos", __name__, description="Photo upload and download")
VARIANTS = ("thumb", "medium", "original")


class PhotoQuery(Schema):
    role = fields.String(load_default="before", validate=validate.OneOf(["before", "after", "verify"]))


@bp.after_request
def drain_refused_upload(response):
    """Whatever refused an upload (auth, type, size), read the rest of its body before answering."""
    if request.method == "PUT" and response.status_code >= 400:
        request.max_content_length = current_app.config["PHOTO_DRAIN_MAX_BYTES"]
        try:
            photos.drain(request.stream, current_app.config["PHOTO_DRAIN_MAX_BYTES"])
        except Exception:  # a body past the drain limit or a dropped client: nothing left to save
            pass
    return response


@bp.put("/reports/<uuid:case_id>/photos/<uuid:photo_id>")
@require_user()
@bp.arguments(PhotoQuery, location="query")
@bp.response(200, PhotoOut, description="The same bytes again")
@bp.alt_response(201, schema=PhotoOut, description="Stored")
@bp.doc(requestBody={"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}})
def put_photo(query, case_id, photo_id):
    """Upload a photo's raw bytes (streamed; never held in memory).

    Before-photos must be declared in the case first. After-photos (the assigned unit or the office,
    while the case is dispatched or accepted) and verify-photos (the office, while resolved) need no
    declaration; send X-Content-SHA256 to have the bytes checked.
    """
    # The body is streamed by the service, which enforces the photo limit itself; lift the small
    # JSON limit for this route (None would mean "unset" and fall back to MAX_CONTENT_LENGTH).
    request.max_content_length = current_app.config["PHOTO_DRAIN_MAX_BYTES"]
    photo, created = photos.ingest_photo(current_user(), case_id, photo_id, request.stream,
                                         request.content_length, request.content_type,
                                         query["role"], request.headers.get("X-Content-SHA256"))
    return presenter.photo_view(photo), (201 if created else 200)


@bp.get("/photos/<string:sha256>/<string:variant>")
@bp.doc(responses={"200": {"content": {"image/jpeg": {}}}})
def get_photo(sha256, variant):
    """A photo's original or a derivative (orientation applied, metadata stripped)."""
    if variant not in VARIANTS or len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ApiError(404, "not_found", "没有这张照片")
    user = optional_user()
    if user is None and variant != "thumb":
        raise ApiError(401, "unauthorized", "请先登录")
    photo = photos.photo_for_download(user, sha256)
    if photo is None:
        raise ApiError(404 if user else 401, "not_found" if user else "unauthorized",
                       "没有这张照片或无权查看")
    path = photos.derivative_file(sha256, variant)
    mimetype = photo.content_type if variant == "original" else "image/jpeg"
    resp = send_file(path, mimetype=mimetype, etag=f"{sha256}-{variant}", conditional=True,
                     max_age=31536000)
    # Content-addressed: the bytes behind this URL never change.
    resp.headers["Cache-Control"] = (
        f"{'private' if user else 'public'}, max-age=31536000, immutable")
    return resp
