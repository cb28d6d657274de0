"""The PWA: pages, the service worker with its cache version, versioned shell files, npm modules.

CSS and ES modules are served under /v/<shell version>/: the pages and the service worker name
them there, and relative imports inside the modules stay under the same prefix, so a browser may
cache them for a year and a new release is fetched at once because its URLs are new.
"""
import hashlib
import json
from pathlib import Path

from flask import Blueprint, abort

from .assets import IMMUTABLE, REVALIDATE, send_asset, send_bytes

PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"
VENDOR = {"idb": PWA_DIR / "node_modules" / "idb" / "build",
          "leaflet": PWA_DIR / "node_modules" / "leaflet" / "dist",
          "markercluster": PWA_DIR / "node_modules" / "leaflet.markercluster" / "dist"}
VERSIONED_DIRS = ("css", "js")
PAGES = ("index.html", "public.html")

bp = Blueprint("pwa", __name__)
_version_memo = {}  # stat signature → version


def _shell_sources():
    """(relative URL path, file) of everything the shell is made of, in a stable order."""
    files = [(name, PWA_DIR / name) for name in (*PAGES, "manifest.webmanifest")]
    for sub in (*VERSIONED_DIRS, "icons"):
        files += [(p.relative_to(PWA_DIR).as_posix(), p) for p in sorted((PWA_DIR / sub).rglob("*")) if p.is_file()]
    files.append(("vendor/idb/index.js", VENDOR["idb"] / "index.js"))
    return files


def shell_version():
    """A digest of the shell's content: any change makes new URLs, a new cache and an update prompt."""
    sources = _shell_sources()
    signature = tuple((rel, p.stat().st_mtime_ns, p.stat().st_size) for rel, p in sources)
    if signature not in _version_memo:
        h = hashlib.sha256()
        for rel, path in sources:
            h.update(rel.encode())
            h.update(path.read_bytes())
        _version_memo.clear()
        _version_memo[signature] = h.hexdigest()[:16]
    return _version_memo[signature]


def shell_urls(version):
    """The URLs the service worker precaches: the app page, the manifest, icons, versioned files."""
    urls = ["/", "/manifest.webmanifest"]
    for rel, _ in _shell_sources():
        if rel.split("/")[0] in (*VERSIONED_DIRS, "vendor"):
            urls.append(f"/v/{version}/{rel}")
        elif rel.startswith("icons/"):
            urls.append("/" + rel)
    return urls


def _page(name):
    html = (PWA_DIR / name).read_text(encoding="utf-8").replace("__ASSETS__", f"/v/{shell_version()}")
    return send_bytes(html.encode(), "text/html")


@bp.get("/")
def index():
    """The app shell."""
    return _page("index.html")


@bp.get("/public")
def public_page():
    """The public complaint form and status page (no sign-in, no service worker)."""
    return _page("public.html")


@bp.get("/sw.js")
def service_worker():
    """The service worker, stamped with the shell's version and file list."""
    version = shell_version()
    source = (PWA_DIR / "sw.js").read_text(encoding="utf-8")
    source = source.replace("__VERSION__", version).replace("__SHELL__", json.dumps(shell_urls(version)))
    resp = send_bytes(source.encode(), "text/javascript")
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest."""
    return send_asset(PWA_DIR, "manifest.webmanifest")


@bp.get("/v/<version>/<any(css, js):folder>/<path:filename>")
def versioned_asset(version, folder, filename):
    """CSS and ES modules of this release, cacheable for a year."""
    return send_asset(PWA_DIR / folder, filename, cache_control=_cache_policy(version))


@bp.get("/v/<version>/vendor/<name>/<path:filename>")
def versioned_vendor(version, name, filename):
    """npm modules of this release, cacheable for a year."""
    if name not in VENDOR:
        abort(404)
    return send_asset(VENDOR[name], filename, cache_control=_cache_policy(version))


def _cache_policy(version):
    # A page of the previous release (open during an update) still gets its files, but they are
    # this release's bytes, so they must not be stored under the old URL for a year.
    return IMMUTABLE if version == shell_version() else REVALIDATE


@bp.get("/<any(css, js, icons):folder>/<path:filename>")
def shell_asset(folder, filename):
    """CSS, ES modules and icons at stable URLs (revalidated), for the manifest and old pages."""
    return send_asset(PWA_DIR / folder, filename)


@bp.get("/vendor/<name>/<path:filename>")
def vendor(name, filename):
    """Front-end packages installed from npm by the setup script, at stable URLs."""
    if name not in VENDOR:
        abort(404)
    return send_asset(VENDOR[name], filename)
