"""Browser tests: the real server (gunicorn) on a free port, driven in Debian Chromium by Playwright."""
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from ..conftest import E2E_PASSWORD as PASSWORD  # noqa: F401  (used by the e2e helpers)
from ..live import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


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
