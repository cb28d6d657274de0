"""Xuncha (巡查): field inspection for the National Health City campaign."""
import logging

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import load_config
from .errors import XunchaApi, register_error_handlers
from .extensions import db, migrate
from .input_guard import register_input_guard
from .security_headers import register_security_headers


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers work while a phone's upload commits; the busy timeout makes writers queue.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_app(config=None):
    """Config → extensions → blueprints → errors → CLI."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config(config))
    app.json.ensure_ascii = False
    logging.basicConfig(level=logging.INFO)

    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    rest_api = XunchaApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})

    from . import models  # noqa: F401  (register tables)
    from .api import register_blueprints
    from .cli import cli

    register_blueprints(app, rest_api)
    register_error_handlers(app)
    register_input_guard(app)
    register_security_headers(app)
    app.register_blueprint(cli)
    return app


def _migrations_dir():
    from pathlib import Path
    return Path(__file__).resolve().parent.parent / "migrations"
