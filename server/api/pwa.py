"""The PWA: static shell files, the service worker with its cache version, vendored npm modules."""
import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"
VENDOR = {"idb": PWA_DIR / "node_modules" / "idb" / "build",
          "leaflet": PWA_DIR / "node_modules" / "leaflet" / "dist",
          "markercluster": PWA_DIR / "node_modules" / "leaflet.markercluster" / "dist"}
SHELL_DIRS = ("css", "js", "icons")

bp = Blueprint("pwa", __name__)


def shell_files():
    """(URL, path) of every file the service worker precaches."""
    files = [("/", PWA_DIR / "index.html"), ("/manifest.webmanifest", PWA_DIR / "manifest.webmanifest")]
    for sub in SHELL_DIRS:
        for path in sorted((PWA_DIR / sub).rglob("*")):
            if path.is_file():
                files.append(("/" + path.relative_to(PWA_DIR).as_posix(), path))
    files.append(("/vendor/idb/index.js", VENDOR["idb"] / "index.js"))
    return files


def shell_version(files):
    """A digest of the shell's content: any change makes a new cache and an update prompt."""
    h = hashlib.sha256()
    for url, path in files:
        h.update(url.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _static(directory, filename, mimetype=None):
    resp = send_from_directory(directory, filename, mimetype=mimetype)
    # The service worker owns caching of the shell; the browser revalidates with the ETag.
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/")
def index():
    """The app shell."""
    return _static(PWA_DIR, "index.html")


@bp.get("/public")
def public_page():
    """The public complaint form and status page (no sign-in, no service worker)."""
    return _static(PWA_DIR, "public.html")


@bp.get("/sw.js")
def service_worker():
    """The service worker, stamped with the shell's version and file list."""
    files = shell_files()
    source = (PWA_DIR / "sw.js").read_text(encoding="utf-8")
    source = source.replace("__VERSION__", shell_version(files)).replace(
        "__SHELL__", json.dumps([url for url, _ in files]))
    resp = Response(source, mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest."""
    return _static(PWA_DIR, "manifest.webmanifest", "application/manifest+json")


@bp.get("/<any(css, js, icons):folder>/<path:filename>")
def shell_asset(folder, filename):
    """CSS, ES modules and icons."""
    return _static(PWA_DIR / folder, filename)


@bp.get("/vendor/<name>/<path:filename>")
def vendor(name, filename):
    """Front-end packages installed from npm by the setup script."""
    if name not in VENDOR:
        abort(404)
    return _static(VENDOR[name], filename, "text/javascript" if filename.endswith(".js") else None)
