"""Fixtures: an app on a fresh database (SQLite or PostgreSQL, chosen by XUNCHA_TEST_DB), clients, users."""
import os
import shutil
import sqlite3
import uuid

import pytest
from sqlalchemy import create_engine, text

from server import create_app
from server.extensions import db
from server.services import auth, catalog_loader

from .helpers import SAMPLES  # noqa: F401
from .live import LiveServer

E2E_PASSWORD = "correct horse battery"
TEST_DB = os.environ.get("XUNCHA_TEST_DB", "sqlite")
PG_BASE = os.environ.get("XUNCHA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _migrate(url, photo_dir):
    from flask_migrate import upgrade
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PHOTO_STORE": str(photo_dir), "TESTING": True})
    with app.app_context():
        upgrade()
        catalog_loader.load_plan()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """Migrated once per run: a template SQLite file, or a fresh PostgreSQL schema."""
    base = tmp_path_factory.mktemp("db")
    if TEST_DB == "sqlite":
        template = base / "template.db"
        _migrate(f"sqlite:///{template}", base / "photos")
        con = sqlite3.connect(template)
        con.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy per test
        con.close()
        yield {"kind": "sqlite", "template": template}
        return
    schema = f"xt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    _migrate(url, base / "photos")
    yield {"kind": "postgresql", "url": url, "schema": schema}
    with admin.connect() as con:
        con.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _fresh_url(database, tmp_path):
    if database["kind"] == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(database["template"], path)
        return f"sqlite:///{path}"
    return database["url"]


CATALOG_TABLES = {"units", "actions", "action_lead_units", "action_cooperating_units", "categories",
                  "category_cooperating_units", "zones", "catalog_meta"}
_pristine_catalog = {}


def _catalog_fingerprint():
    rows = []
    for name in sorted(CATALOG_TABLES):
        rows.append(db.session.execute(text(f"SELECT * FROM {name} ORDER BY 1")).all())
    return hash(repr(rows))


def _reset_postgres(app, database):
    """Empty the data tables; reload the catalog only when a test changed it. Every test starts alike."""
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        data = [t for t in tables if t not in CATALOG_TABLES]
        db.session.execute(text(f"TRUNCATE {', '.join(data)} RESTART IDENTITY CASCADE"))
        db.session.commit()
        key = database["schema"]
        if _pristine_catalog.get(key) != _catalog_fingerprint():
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            db.session.commit()
            catalog_loader.load_plan()
            _pristine_catalog[key] = _catalog_fingerprint()
        db.session.remove()


@pytest.fixture
def app(database, tmp_path):
    """An app bound to a fresh database and an empty photo store."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": _fresh_url(database, tmp_path),
                      "PHOTO_STORE": str(tmp_path / "photos"), "TESTING": True,
                      "SERVER_NAME": "xuncha.test"})
    if database["kind"] == "postgresql":
        _reset_postgres(app, database)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    """An application context for service-level tests."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """make_user(role, unit=None, username=None) → (user_id, auth headers)."""
    def make(role, unit=None, username=None):
        username = username or f"{role}-{uuid.uuid4().hex[:8]}"
        with app.app_context():
            user = auth.create_user(username, role, "correct horse battery", unit)
            raw, _ = auth.issue_token(user)
            db.session.commit()
            return user.id, {"Authorization": f"Bearer {raw}"}
    return make


@pytest.fixture
def inspector(make_user):
    return make_user("inspector", username="zhang.san")[1]


@pytest.fixture
def office(make_user):
    return make_user("office")[1]


@pytest.fixture
def server_app(database, tmp_path):
    """An in-process app on the live server's database, for setting up users and checking results."""
    url = _fresh_url(database, tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PHOTO_STORE": str(tmp_path / "photos"),
                      "TESTING": True, "SERVER_NAME": "xuncha.test"})
    if database["kind"] == "postgresql":
        _reset_postgres(app, database)
    app.config["E2E_DATABASE_URL"] = url
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server_factory(server_app, tmp_path):
    """live_server_factory(**env) → a started LiveServer on the server_app's database."""
    servers = []

    def start(**env):
        server = LiveServer(server_app.config["E2E_DATABASE_URL"], tmp_path / "photos", env)
        server.start()
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def live_server(live_server_factory):
    return live_server_factory()


@pytest.fixture
def add_user(server_app):
    def add(username, role, unit=None):
        with server_app.app_context():
            auth.create_user(username, role, E2E_PASSWORD, unit)
        return username
    return add
