"""Steps a person takes in the PWA, and checks against the server's database."""
import hashlib

from sqlalchemy import select

from server.extensions import db
from server.models import Case, Photo

from .conftest import PASSWORD


def sign_in(page, username, capture=True):
    page.goto("/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator(".topnav:not([hidden])").wait_for()
    if capture:
        page.get_by_label("问题类型", exact=True).wait_for()
        # The catalog is cached before we go offline.
        page.wait_for_function("() => document.querySelectorAll('#category option').length > 40")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)


def file_case(page, category, photo_paths, description=""):
    """Fill the capture form and submit; returns once the fresh form is back."""
    page.set_input_files("#photo-input", [str(p) for p in photo_paths])
    page.wait_for_function(f"() => document.querySelectorAll('.previews img').length === {len(photo_paths)}")
    page.get_by_label("问题类型", exact=True).select_option(category)
    if description:
        page.get_by_label("问题描述").fill(description)
    page.get_by_text("已定位").wait_for()
    page.get_by_role("button", name="上报").click()
    page.wait_for_function("() => document.querySelectorAll('.previews img').length === 0")


def badge(page):
    return page.locator("#outbox-badge")


def server_cases(app):
    """{case id: (category code, lead unit name, sorted photo sha256s)} as the server holds them."""
    with app.app_context():
        out = {}
        for case in db.session.execute(select(Case)).scalars():
            out[str(case.id)] = (case.category.code, case.lead_unit.name,
                                 sorted(p.sha256 for p in case.photos if p.received))
        photo_rows = db.session.execute(select(Photo)).scalars().all()
        db.session.remove()
    return out, photo_rows


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


UNSENT_JS = """async () => {
    const req = indexedDB.open('xuncha');
    const db = await new Promise((ok, fail) => { req.onsuccess = () => ok(req.result); req.onerror = fail; });
    const items = await new Promise((ok) => {
        const r = db.transaction('outbox').objectStore('outbox').getAll(); r.onsuccess = () => ok(r.result); });
    db.close();
    return items.filter((i) => i.state !== 'synced').length;
}"""


def wait_until_synced(page, timeout_s=30):
    """Poll the outbox in IndexedDB itself (the badge may lag a moment behind it)."""
    import time
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if page.evaluate(UNSENT_JS) == 0:
            return
        page.wait_for_timeout(200)
    raise AssertionError("outbox still has unsent items")
