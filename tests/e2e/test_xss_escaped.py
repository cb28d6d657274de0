"""Script-looking text from users shows as text in every view, never as markup.

The CSP (script-src 'self') would block an inline handler anyway; this test proves the escaping
underneath it: the payloads are visible as literal characters (the DOM got text nodes, not
elements), no <img src=x> or injected <script> exists, and window.__xss stays undefined.
"""
import io
import uuid

from playwright.sync_api import expect

from server.extensions import db
from server.services import auth

from ..conftest import E2E_PASSWORD
from ..helpers import YANGHE, case_body, declare, generated_jpeg
from .conftest import save_screenshot
from .helpers import sign_in

IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = "<script>window.__xss=1</script>"
SVG = '"><svg onload=window.__xss=1>'


def jpeg_with_device(make, model):
    """A JPEG whose EXIF Make and Model are the payloads (the gallery viewer shows them)."""
    from PIL import Image
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = make, model
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 30, 60)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def hostile_world(server_app):
    """Users whose display names are payloads, a case, a transition note, an extension request and a
    public complaint carrying payloads, all stored through the real API."""
    client = server_app.test_client()
    headers = {}
    with server_app.app_context():
        for username, role, unit, name in [("xss.inspector", "inspector", None, IMG), ("xss.liaison", "liaison", "zfj", SCRIPT),
                                           ("xss.office", "office", None, SVG)]:
            user = auth.create_user(username, role, E2E_PASSWORD, unit, display_name=name)
            raw, _ = auth.issue_token(user)
            db.session.commit()
            headers[role] = {"Authorization": f"Bearer {raw}"}
    photo = jpeg_with_device(SCRIPT, IMG)
    decl = declare(photo)
    case_id = str(uuid.uuid4())
    body = case_body(photos=[decl], description=f"{IMG} {SCRIPT}")
    body["location"]["address"] = SVG
    assert client.put(f"/api/reports/{case_id}", json=body, headers=headers["inspector"]).status_code == 201
    assert client.put(f"/api/reports/{case_id}/photos/{decl['id']}", data=photo,
                      headers={**headers["inspector"], "Content-Type": "image/jpeg"}).status_code == 201

    def step(who, action, **kw):
        r = client.post(f"/api/reports/{case_id}/transitions", headers=headers[who],
                        json={"id": str(uuid.uuid4()), "action": action, **kw})
        assert r.status_code == 200, r.json
    step("office", "dispatch", unit="zfj", note=f"派遣说明 {SCRIPT}")
    step("liaison", "extend", note=f"延期理由 {IMG}", due_at="2099-01-01T10:00:00+08:00")
    r = client.post("/api/public/reports", content_type="multipart/form-data", data={
        "category": "a1-piling", "lat": str(YANGHE["lat"]), "lon": str(YANGHE["lon"]),
        "description": f"群众投诉 {SCRIPT}", "address": IMG,
        "photo": (io.BytesIO(generated_jpeg(color=(10, 200, 10))), "p.jpg", "image/jpeg")})
    assert r.status_code == 201, r.json
    public_id = client.get("/api/reports?source=public", headers=headers["office"]).json["items"][0]["id"]
    return case_id, public_id


def assert_clean(page, *texts):
    """Each payload is on screen as literal text; none became an element; nothing ran."""
    view = page.locator("#view")
    for text in texts:
        expect(view).to_contain_text(text)
    assert page.locator('img[src="x"], svg[onload], [onerror]').count() == 0
    assert page.evaluate("() => [...document.scripts].some((s) => s.textContent.includes('__xss'))") is False
    assert page.evaluate("() => typeof window.__xss") == "undefined"


def new_page(browser, live_server, dialogs):
    ctx = browser.new_context(base_url=live_server.base, viewport={"width": 1280, "height": 900},
                              locale="zh-CN", timezone_id="Asia/Shanghai")
    page = ctx.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return ctx, page


def test_payloads_render_as_text_everywhere(browser, live_server, server_app):
    case_id, public_id = hostile_world(server_app)
    dialogs = []

    ctx, page = new_page(browser, live_server, dialogs)
    try:
        sign_in(page, "xss.inspector", capture=False)
        page.goto("/#/cases")
        expect(page.locator("#view")).to_contain_text("乱堆乱放")
        assert_clean(page)
        page.goto(f"/#/case/{case_id}")
        assert_clean(page, f"{IMG} {SCRIPT}", SVG, f"派遣说明 {SCRIPT}", f"延期理由 {IMG}", IMG)
        save_screenshot(page, "xss-case-detail-inspector")
        page.goto("/#/outbox")  # shows "signed in as <display name>"
        assert_clean(page, IMG)
    finally:
        ctx.close()

    ctx, page = new_page(browser, live_server, dialogs)
    try:
        sign_in(page, "xss.liaison", capture=False)
        page.goto("/#/inbox")
        assert_clean(page, SVG)  # the address, as the map link's text
        page.goto(f"/#/case/{case_id}")
        assert_clean(page, f"{IMG} {SCRIPT}", SCRIPT, f"延期理由 {IMG}")
    finally:
        ctx.close()

    ctx, page = new_page(browser, live_server, dialogs)
    try:
        sign_in(page, "xss.office", capture=False)
        page.goto("/#/triage")
        assert_clean(page, IMG)  # the public complaint's address
        page.goto(f"/#/case/{public_id}")
        assert_clean(page, f"群众投诉 {SCRIPT}", IMG)
        page.goto(f"/#/case/{case_id}")
        assert_clean(page, f"{IMG} {SCRIPT}", f"派遣说明 {SCRIPT}", SVG)
        page.goto("/#/gallery")
        expect(page.locator(".gallery .tile")).to_have_count(2)
        page.locator(".gallery .tile", has=page.locator(".status-dispatched")).locator("button").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text(f"{SCRIPT} {IMG}")  # EXIF Make and Model
        assert_clean(page)
        save_screenshot(page, "xss-gallery-viewer")
        page.keyboard.press("Escape")
        page.goto("/#/map")
        page.locator(".leaflet-container").wait_for()
        expect(page.locator("#view")).to_contain_text("显示 2 个案件")
        marker = page.locator("path.marker").first
        if marker.count():
            marker.hover()
        assert_clean(page)
        page.goto("/#/evaluation")
        expect(page.get_by_role("heading", name="单位排名")).to_be_visible()
        assert_clean(page)
        page.get_by_role("link", name="生成通报").click()
        expect(page.locator(".bulletin")).to_contain_text("创卫工作通报")
        assert_clean(page)
        page.goto("/#/admin")
        assert_clean(page, IMG, SCRIPT, SVG)  # display names in the accounts table
        save_screenshot(page, "xss-admin")
    finally:
        ctx.close()
    assert dialogs == [], dialogs
