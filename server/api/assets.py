"""Static responses for the PWA: gzip when the client accepts it, ETags, and the right cache policy.

Text files are compressed once per content version and kept in memory (the shell is a few hundred
kilobytes), so a phone on a slow link downloads a third of the bytes and the server spends no CPU
on a file it has compressed before.
"""
import gzip
import hashlib
import mimetypes
from pathlib import Path

from flask import Response, abort, request
from werkzeug.security import safe_join

COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                "application/manifest+json", "image/svg+xml", "text/plain"}
MIN_COMPRESS_BYTES = 256
# Versioned URLs never change content: browsers may keep them for a year without asking again.
IMMUTABLE = "public, max-age=31536000, immutable"
# Everything else is revalidated with its ETag (cheap: a 304 with no body).
REVALIDATE = "no-cache"

_gzipped = {}  # etag → compressed bytes
_GZIP_CACHE_MAX = 512


def send_bytes(data, mimetype, cache_control=REVALIDATE, etag=None):
    """Answer with data, gzip-compressed if accepted and worth it, honouring If-None-Match."""
    etag = etag or hashlib.sha256(data).hexdigest()[:20]
    body, encoded = data, False
    if mimetype in COMPRESSIBLE and len(data) >= MIN_COMPRESS_BYTES and _accepts_gzip():
        body, encoded = _compressed(etag, data), True
    resp = Response(body, mimetype=mimetype)
    if encoded:
        resp.headers["Content-Encoding"] = "gzip"
    if mimetype in COMPRESSIBLE:
        resp.headers["Vary"] = "Accept-Encoding"
    # The compressed and plain bodies differ, so they must not share a strong validator.
    resp.set_etag(etag + ("-gz" if encoded else ""))
    resp.headers["Cache-Control"] = cache_control
    return resp.make_conditional(request)


def send_asset(directory, filename, mimetype=None, cache_control=REVALIDATE):
    """A file under directory (never outside it), sent with send_bytes."""
    joined = safe_join(str(directory), filename)
    path = Path(joined) if joined else None
    if path is None or not path.is_file():
        abort(404)
    stat = path.stat()
    mimetype = mimetype or _guess_type(path.name)
    # The path is part of it: npm gives every file of a package the same mtime.
    etag = hashlib.sha256(f"{path}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()[:20]
    return send_bytes(path.read_bytes(), mimetype, cache_control, etag)


def _guess_type(name):
    if name.endswith((".js", ".mjs")):
        return "text/javascript"
    if name.endswith(".webmanifest"):
        return "application/manifest+json"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _accepts_gzip():
    return request.accept_encodings["gzip"] > 0


def _compressed(etag, data):
    hit = _gzipped.get(etag)
    if hit is None:
        if len(_gzipped) >= _GZIP_CACHE_MAX:
            _gzipped.clear()  # a dev server that saw many edits; the shell refills it at once
        # mtime=0 keeps the bytes identical from run to run.
        hit = _gzipped[etag] = gzip.compress(data, compresslevel=9, mtime=0)
    return hit
