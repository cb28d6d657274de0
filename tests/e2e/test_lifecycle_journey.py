"""The whole loop in Chromium: inspector files → liaison accepts and resolves offline → office returns →
liaison resolves again → office closes; and a public complaint the office dispatches."""
from playwright.sync_api import expect

from .conftest import save_screenshot
from .helpers import badge, file_case, sign_in, wait_until_synced


def open_case(page, list_hash, category_name):
    """Open the case from a work list, as a user would: the list shows its cached copy at once and
    then the server's; if the case is not there yet, reload the list once (pull to refresh)."""
    page.goto(f"/{list_hash}")
    link = page.locator(".work-link", has_text=category_name).first
    try:
        link.wait_for(timeout=10_000)
    except Exception:  # noqa: BLE001 — Playwright's TimeoutError; the second look below must pass
        page.reload()
    link.click()
    page.locator(".case-detail").wait_for()


def act(page, action_label, note=None, photo=None):
    box = page.locator("details.action-box", has=page.locator("summary", has_text=action_label))
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    if photo:
        box.locator("input[type=file]").set_input_files(str(photo))
        page.wait_for_timeout(300)  # the photo is hashed before it can be sent
    if note:
        box.locator("textarea").fill(note)
    box.get_by_role("button", name=action_label).click()
    expect(page.locator("#toast")).to_contain_text("已提交")  # stored in the outbox


def synced(page):
    wait_until_synced(page)
    expect(badge(page)).to_have_text("待同步 0")


def test_case_goes_round_the_loop(browser, live_server, add_user, sample_copy, server_app):
    add_user("zhang.san", "inspector")
    add_user("zfj", "liaison", "市执法局北部分局")
    add_user("office", "office")

    def phone_context():
        return browser.new_context(base_url=live_server.base, viewport={"width": 360, "height": 780},
                                   locale="zh-CN", timezone_id="Asia/Shanghai",
                                   geolocation={"latitude": 24.3672, "longitude": 109.4895, "accuracy": 10},
                                   permissions=["geolocation"])

    inspector_ctx, liaison_ctx = phone_context(), phone_context()
    office_ctx = browser.new_context(base_url=live_server.base, viewport={"width": 1280, "height": 900},
                                     locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        inspector = inspector_ctx.new_page()
        sign_in(inspector, "zhang.san")
        file_case(inspector, "a1-piling", [sample_copy("gps/DSCN0025.jpg")], description="巷口堆放建筑垃圾")
        synced(inspector)

        liaison = liaison_ctx.new_page()
        sign_in(liaison, "zfj", capture=False)
        expect(liaison.locator(".work-item", has_text="乱堆乱放")).to_have_count(1)
        expect(liaison.locator(".work-item").first).to_contain_text("剩余")
        open_case(liaison, "#/inbox", "乱堆乱放")
        act(liaison, "接收")
        synced(liaison)

        # The fix happens in an alley without signal: resolve offline with an after-photo.
        open_case(liaison, "#/inbox", "乱堆乱放")
        liaison_ctx.set_offline(True)
        act(liaison, "处置完成", note="已清运堆放物", photo=sample_copy("orientation/landscape_3.jpg", "after1.jpg"))
        expect(badge(liaison)).to_have_text("待同步 1")
        liaison_ctx.set_offline(False)
        synced(liaison)

        office = office_ctx.new_page()
        sign_in(office, "office", capture=False)
        open_case(office, "#/review", "乱堆乱放")
        expect(office.get_by_role("heading", name="整改后照片")).to_be_visible()
        act(office, "退回返工", note="墙角仍有残留")
        synced(office)

        open_case(liaison, "#/inbox", "乱堆乱放")
        expect(liaison.locator(".case-detail")).to_contain_text("返工 1 次")
        act(liaison, "处置完成", note="残留已清理", photo=sample_copy("orientation/landscape_4.jpg", "after2.jpg"))
        synced(liaison)

        open_case(office, "#/review", "乱堆乱放")
        case_url = office.url
        act(office, "核查通过，结案")
        synced(office)
        office.goto(case_url)
        detail = office.locator(".case-detail")
        expect(detail.locator(".status")).to_have_text("已结案")
        steps = detail.locator(".history li strong").all_inner_texts()
        assert steps == ["上报", "派遣", "接收", "处置", "退回", "处置", "结案"]
        save_screenshot(office, "office-case-closed")
    finally:
        for ctx in (inspector_ctx, liaison_ctx, office_ctx):
            ctx.close()


def test_public_complaint_is_dispatched_by_office(browser, live_server, add_user, sample_copy):
    add_user("office", "office")
    public_ctx = browser.new_context(base_url=live_server.base, viewport={"width": 360, "height": 780},
                                     locale="zh-CN", geolocation={"latitude": 24.3675, "longitude": 109.4890, "accuracy": 15},
                                     permissions=["geolocation"])
    office_ctx = browser.new_context(base_url=live_server.base, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        citizen = public_ctx.new_page()
        citizen.goto("/public")
        citizen.get_by_label("照片").set_input_files(str(sample_copy("gps/DSCN0027.jpg")))
        citizen.get_by_label("问题类型").select_option("a2-burning")
        citizen.get_by_label("问题描述").fill("村口有人焚烧垃圾")
        expect(citizen.get_by_text("已定位")).to_be_visible(timeout=20000)
        citizen.get_by_role("button", name="提交投诉").click()
        receipt = citizen.locator("#receipt")
        expect(receipt).to_contain_text("已受理")
        save_screenshot(citizen, "public-receipt")
        citizen.get_by_role("link", name="查看处理进度").click()
        expect(citizen.locator(".status")).to_have_text("已受理，待分派")

        office = office_ctx.new_page()
        sign_in(office, "office", capture=False)
        open_case(office, "#/triage", "焚烧垃圾")
        expect(office.locator(".case-detail")).to_contain_text("群众投诉")
        act(office, "派遣")
        synced(office)

        citizen.reload()
        expect(citizen.locator(".status")).to_have_text("已派遣至责任单位")
        expect(citizen.get_by_text("责任单位：阳和街道办事处")).to_be_visible()
        assert "office" not in citizen.locator("main").inner_text()
    finally:
        public_ctx.close()
        office_ctx.close()
