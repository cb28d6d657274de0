"""Photo ingest: stream, hash, verify, decode once, store atomically, commit the row last."""
import re

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import ApiError
from ..extensions import db
from ..models import Case, Photo
from ..models.types import utcnow
from . import access, exif, imaging, integrity
from .photo_store import CHUNK, TooLarge, get_store

# Types a phone may label a photo with besides the accepted image types (we sniff the bytes).
NEUTRAL_TYPES = ("", "application/octet-stream")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# Who may add photos of each role, and while the case is in which status.
ROLE_STATUSES = {"after": ("dispatched", "accepted"), "verify": ("resolved",)}


def drain(stream, limit):
    """Read and drop what is left of a refused body (up to limit), so the client reads our answer.

    A server that answers and closes while the phone is still sending makes the phone's TCP stack
    see a reset instead of the 413/415/401; reading the rest first avoids that.
    """
    left = limit
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)


def _check_uploader(user, case, role):
    if role == "before":
        if not (user.is_staff or case.reporter_id == user.id):
            raise ApiError(403, "forbidden", "只有上报人或创卫办可以上传此案件的现场照片")
        return
    from .lifecycle import OFFICE, UNIT, actor_kind
    allowed = (UNIT, OFFICE) if role == "after" else (OFFICE,)
    if actor_kind(user, case) not in allowed:
        raise ApiError(403, "forbidden", "只有责任单位或创卫办可以上传整改照片，核查照片只能由创卫办上传")
    if case.status not in ROLE_STATUSES[role]:
        raise ApiError(409, "illegal_state", f"案件状态为 {case.status}，此时不能上传 {role} 照片")


def _target_photo(user, case_id, photo_id, role):
    """(case, existing photo row or None). Before-photos must be declared; after/verify need not."""
    case = access.get_visible_case(user, case_id)
    photo = db.session.get(Photo, photo_id)
    if photo is not None and (photo.case_pk != case.pk or photo.role != role):
        raise ApiError(409, "photo_id_taken", "照片 id 已用于另一个案件或另一种照片", {"photo_id": [str(photo_id)]})
    if role == "before" and photo is None:
        raise ApiError(404, "photo_not_declared", "此照片未在案件中声明", {"photo_id": [str(photo_id)]})
    if photo is None or not photo.received:
        _check_uploader(user, case, role)
    return case, photo


def receive_upload(stream, content_length, content_type):
    """Check the type and size announced, then stream the body into a temp file (TempUpload)."""
    cfg = current_app.config
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in cfg["PHOTO_TYPES"] and media_type not in NEUTRAL_TYPES:
        raise ApiError(415, "unsupported_media_type",
                       f"不接受的类型 {media_type}；请上传 JPEG、PNG、WebP 或 HEIC")
    limit_mb = cfg["PHOTO_MAX_BYTES"] // (1024 * 1024)
    if content_length is not None and content_length > cfg["PHOTO_MAX_BYTES"]:
        raise ApiError(413, "photo_too_large", f"照片超过 {limit_mb} MB")
    try:
        return get_store(current_app).receive(stream, cfg["PHOTO_MAX_BYTES"])
    except TooLarge:
        raise ApiError(413, "photo_too_large", f"照片超过 {limit_mb} MB")


def ingest_photo(user, case_id, photo_id, stream, content_length, content_type, role="before",
                 declared_sha256=None):
    """Store one photo's bytes: (photo, created). The same bytes again → created False."""
    if declared_sha256 is not None and not SHA256_RE.match(declared_sha256):
        raise ApiError(400, "invalid_sha256", "X-Content-SHA256 需为 64 位小写十六进制")
    case, photo = _target_photo(user, case_id, photo_id, role)
    upload = receive_upload(stream, content_length, content_type)
    try:
        if photo is not None and photo.received:
            if upload.sha256 == photo.sha256:
                return photo, False
            raise ApiError(409, "photo_conflict", "此照片已收到不同的内容", {"sha256": [upload.sha256]})
        expected = photo.declared_sha256 if photo is not None else declared_sha256
        if expected is not None and upload.sha256 != expected:
            raise ApiError(400, "sha256_mismatch", "照片内容与声明的 SHA-256 不符（传输中损坏？）",
                           {"sha256": [f"declared {expected}, received {upload.sha256}"]})
        return store_upload(case, photo_id, photo, upload, role, user)
    finally:
        get_store(current_app).discard(upload)  # a no-op once the upload was moved into place


def decode_upload(upload):
    """Check an upload is an acceptable image and make its derivatives (one decode)."""
    cfg = current_app.config
    if upload.size == 0:
        raise ApiError(422, "empty_photo", "照片文件为空")
    if imaging.sniff(upload.head) is None:
        raise ApiError(415, "unsupported_media_type", "文件不是 JPEG、PNG、WebP 或 HEIC 图片")
    try:
        # The thumbnail only: lists and phones need it at once; the medium waits for its first view.
        return imaging.make_derivatives(upload.path, cfg["PHOTO_MAX_PIXELS"], cfg["THUMB_PX"])
    except imaging.ImageRefused as refused:
        raise ApiError(refused.status, refused.code, refused.message)


def store_upload(case, photo_id, photo, upload, role, user, derived=None):
    """Verify, derive, store and record an uploaded photo: (photo, created)."""
    cfg = current_app.config
    store = get_store(current_app)
    derived = derived or decode_upload(upload)
    meta = exif.read_exif(upload.path, cfg["TIMEZONE"])
    # Derivatives first, then the original, then the row: a crash in between leaves only
    # unreferenced files, never a row pointing at missing bytes.
    store.write_derivative(upload.sha256, "thumb", derived.thumb)
    if derived.medium is not None:
        store.write_derivative(upload.sha256, "medium", derived.medium)
    store.keep_original(upload)
    now = utcnow()
    exif_json = {k: v for k, v in meta.items() if k != "taken_at"}
    if "taken_at" in meta:
        exif_json["taken_at"] = meta["taken_at"].isoformat()
    values = dict(received_at=now, sha256=upload.sha256, size=upload.size,
                  content_type=derived.content_type, width=derived.width, height=derived.height,
                  exif_lat=meta.get("lat"), exif_lon=meta.get("lon"),
                  exif_taken_at=meta.get("taken_at"), exif=exif_json,
                  uploaded_by_id=user.id if user else None)
    if photo is None:
        position = db.session.scalar(select(func.count()).select_from(Photo).where(Photo.case_pk == case.pk))
        db.session.add(Photo(id=photo_id, case_pk=case.pk, role=role, position=position,
                             declared_sha256=upload.sha256, declared_size=upload.size,
                             declared_content_type=derived.content_type, **values))
        try:
            db.session.flush()
        except IntegrityError:
            return _lost_race(photo_id, upload)
    else:
        result = db.session.execute(update(Photo).where(
            Photo.id == photo.id, Photo.received_at.is_(None)).values(**values))
        if result.rowcount == 0:
            return _lost_race(photo_id, upload)
    photo = db.session.get(Photo, photo_id)
    db.session.refresh(photo)
    db.session.refresh(case)
    if role == "before":
        case.flags = integrity.refreshed_flags(case)
    case.updated_at = now
    if user is not None:
        user.last_sync_at = now
    db.session.commit()
    return photo, True


def _lost_race(photo_id, upload):
    """A concurrent upload of this photo committed first: a replay if the bytes agree."""
    db.session.rollback()
    photo = db.session.get(Photo, photo_id)
    db.session.refresh(photo)
    if photo.sha256 == upload.sha256:
        return photo, False
    raise ApiError(409, "photo_conflict", "此照片已收到不同的内容")


def photo_for_download(user, sha256):
    """A received photo with these bytes that the user may see, or None."""
    if user is None:
        return db.session.execute(
            select(Photo).join(Case).where(
                Photo.sha256 == sha256, Photo.received_at.is_not(None),
                Case.source.in_(("public", "open311")), Case.covert.is_(False)).limit(1)
        ).scalar_one_or_none()
    return db.session.execute(
        select(Photo).join(Case).where(
            Photo.sha256 == sha256, Photo.received_at.is_not(None),
            access.visibility_clause(user)).limit(1)
    ).scalar_one_or_none()


def derivative_file(sha256, variant):
    """Path of a stored derivative, made from the original when missing (a medium before its first
    view, anything after a restore)."""
    cfg = current_app.config
    store = get_store(current_app)
    if variant == "original":
        return store.blob_path(sha256)
    path = store.derivative_path(sha256, variant)
    if not path.exists():
        derived = imaging.make_derivatives(store.blob_path(sha256), cfg["PHOTO_MAX_PIXELS"],
                                           cfg["THUMB_PX"], cfg["MEDIUM_PX"])
        store.write_derivative(sha256, "thumb", derived.thumb)
        store.write_derivative(sha256, "medium", derived.medium)
    return path
