"""Committed defaults; the environment overrides them (DATABASE_URL, PHOTO_STORE, SECRET_KEY, XUNCHA_*)."""
import json
import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET_KEY = "dev-only-not-secret"


class Config:
    """Defaults for a local run: SQLite and a photo directory under instance/."""

    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'xuncha.db'}"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    PHOTO_STORE = str(INSTANCE_DIR / "photos")
    SECRET_KEY = DEV_SECRET_KEY
    JSON_AS_ASCII = False

    # Requests other than photo uploads are small JSON bodies.
    MAX_CONTENT_LENGTH = 1 * 1024 * 1024

    PROXY_HOPS = 0  # behind nginx: 1, so remote_addr and https come from X-Forwarded-*
    TIMEZONE = "Asia/Shanghai"
    WORKDAY_END = "18:00"  # a deadline in working days falls due at this local time
    TOKEN_TTL_DAYS = 30  # an inspector may stay offline for a whole shift and more
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_MINUTES = 15

    PHOTO_MAX_BYTES = 25 * 1024 * 1024
    # Bodies past the limit are read and dropped up to this many bytes so that the
    # client gets its 413 as a response rather than a reset connection.
    PHOTO_DRAIN_MAX_BYTES = 200 * 1024 * 1024
    PHOTOS_PER_CASE = 10
    PHOTO_MAX_PIXELS = 120_000_000  # 108 MP phone sensors pass; decompression bombs do not
    PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"]
    THUMB_PX = 320
    MEDIUM_PX = 1280
    DESCRIPTION_MAX = 2000
    PAGE_MAX = 200
    EVALUATION_MIN_CASES = 5  # units with fewer cases in a period get figures but no rank
    EVALUATION_WEIGHTS = {"closure": 30, "on_time": 20, "rework": 20, "overdue": 20, "extension": 10}
    PUBLIC_REPORTS_PER_HOUR = 5  # per address, for the public complaint form

    # Map tiles: a Tianditu (WGS-84, needs a key) or AMap (GCJ-02) URL template; empty = no tiles,
    # the map shows its markers on a plain background.
    MAP_TILE_URL = ""
    MAP_TILE_ATTRIBUTION = ""
    MAP_TILE_CRS = "wgs84"  # wgs84 | gcj02 (markers are shifted for display only; data stays WGS-84)

    INTEGRITY_GPS_METERS = 200
    INTEGRITY_TIME_HOURS = 24

    API_TITLE = "Xuncha 巡查 API"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"


def load_config(overrides=None):
    """Defaults, then the environment, then explicit overrides (tests)."""
    cfg = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    if os.environ.get("DATABASE_URL"):
        cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("PHOTO_STORE"):
        cfg["PHOTO_STORE"] = os.environ["PHOTO_STORE"]
    if os.environ.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = os.environ["SECRET_KEY"]
    for key, raw in os.environ.items():
        # XUNCHA_PHOTO_MAX_BYTES=1000000 and the like override any other setting.
        if key.startswith("XUNCHA_") and key[7:] in cfg and key != "XUNCHA_TEST_DB":
            cfg[key[7:]] = _parse_env(raw, cfg[key[7:]])
    cfg.update(overrides or {})
    if "SQLALCHEMY_DATABASE_URI" in (overrides or {}):
        cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    return cfg


def secret_key_problem(key):
    """Why this SECRET_KEY must not serve requests (None when it is fine).

    Tokens are hashed without it, but Open311 media links are signed with it: a known key would
    let anyone mint links to every case's thumbnails.
    """
    if not key or key == DEV_SECRET_KEY:
        return "SECRET_KEY is not set (the committed development default is refused)"
    if len(key) < 32:
        return f"SECRET_KEY is too short ({len(key)} characters; use at least 32 random ones)"
    return None


def _parse_env(raw, default):
    """Read an environment value as the type of the default it replaces."""
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(default, (int, float)):
        return type(default)(raw)
    if isinstance(default, (list, dict)):
        return json.loads(raw)
    return raw


def normalise_database_url(url):
    """Use psycopg 3 for postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
