"""Browser tests: the real server (gunicorn) on a free port, driven in Debian Chromium by Playwright."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from server import create_app
from server.extensions import db
from server.services import auth

from ..conftest import _fresh_url, _reset_postgres

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """gunicorn serving the app from a fresh database; can be killed and started again."""

    def __init__(self, url, photo_dir, env_extra=None):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": url, "PHOTO_STORE": str(photo_dir),
                    "SECRET_KEY": "e2e-secret", **(env_extra or {})}
        self.proc = None
        self.log = open(photo_dir.parent / "server.log", "ab")

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "scripts/gunicorn.conf.py", "--workers", "2",
             "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "-", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # an abrupt death, like a crashed host
            self.proc.wait()


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
def live_server(server_app, tmp_path):
    server = LiveServer(server_app.config["E2E_DATABASE_URL"], tmp_path / "photos")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def add_user(server_app):
    def add(username, role, unit=None):
        with server_app.app_context():
            auth.create_user(username, role, PASSWORD, unit)
        return username
    return add


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_browser.sh")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """A 360×780 phone-sized context with geolocation granted at a spot in 阳和工业新区."""
    context = browser.new_context(
        base_url=live_server.base, viewport={"width": 360, "height": 780}, device_scale_factor=2,
        is_mobile=True, has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
        geolocation={"latitude": 24.3672, "longitude": 109.4895, "accuracy": 12},
        permissions=["geolocation"])
    yield context
    context.close()


def save_screenshot(page, name):
    """Keep a screenshot as a test artifact (not committed) for a reviewer to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}-{os.environ.get('XUNCHA_TEST_DB', 'sqlite')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def sample_copy(tmp_path):
    """Copy a sample photo to tmp (file choosers want a path; the name shows in the UI)."""
    from ..helpers import SAMPLES

    def copy(relpath, name=None):
        dest = tmp_path / (name or Path(relpath).name)
        shutil.copy(SAMPLES / relpath, dest)
        return dest
    return copy
