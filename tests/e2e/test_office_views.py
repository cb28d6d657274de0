"""The office in Chromium: gallery filtered by unit with a before/after pair, the map without tiles,
the evaluation and the printable bulletin."""
import uuid

from playwright.sync_api import expect

from ..helpers import generated_jpeg, put_case_with_photos
from .conftest import save_screenshot
from .helpers import sign_in


def build_cases(server_app):
    """Cases for two units, one resolved with an after-photo and one closed, through the real API."""
    client = server_app.test_client()
    from server.extensions import db
    from server.services import auth
    headers = {}
    with server_app.app_context():
        for name, role, unit in [("zhang.san", "inspector", None), ("zfj", "liaison", "zfj"), ("boss", "office", None)]:
            user = auth.create_user(f"{name}-api", role, "correct horse battery", unit)
            raw, _ = auth.issue_token(user)
            db.session.commit()
            headers[name] = {"Authorization": f"Bearer {raw}"}

    def step(case_id, who, action, **kw):
        r = client.post(f"/api/reports/{case_id}/transitions", headers=headers[who],
                        json={"id": str(uuid.uuid4()), "action": action, **kw})
        assert r.status_code == 200, r.json

    ids = {}
    for label, category, colour in [("resolved", "a1-piling", (200, 40, 40)), ("closed", "a1-small-ads", (40, 40, 200)),
                                    ("jdb", "a2-burning", (40, 160, 40))]:
        ids[label], _, _ = put_case_with_photos(client, headers["zhang.san"], [generated_jpeg(color=colour)],
                                                category=category)
    for label in ("resolved", "closed"):
        step(ids[label], "zfj", "accept")
        after = str(uuid.uuid4())
        r = client.put(f"/api/reports/{ids[label]}/photos/{after}?role=after", data=generated_jpeg(color=(250, 250, 250)),
                       headers={**headers["zfj"], "Content-Type": "image/jpeg"})
        assert r.status_code == 201
        step(ids[label], "zfj", "resolve", note="已整改", photos=[after])
    step(ids["closed"], "boss", "verify")
    return ids


def test_gallery_map_evaluation_bulletin(browser, live_server, add_user, server_app, tmp_path):
    build_cases(server_app)
    add_user("office", "office")
    ctx = browser.new_context(base_url=live_server.base, viewport={"width": 1280, "height": 900},
                              locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = ctx.new_page()
        sign_in(page, "office", capture=False)
        page.goto("/#/gallery")
        tiles = page.locator(".gallery .tile")
        expect(tiles).to_have_count(3)
        page.get_by_label("责任单位").select_option("zfj")
        expect(tiles).to_have_count(2)
        with page.expect_download() as download:
            page.get_by_role("button", name="CSV").click()
        assert download.value.suggested_filename == "cases.csv"
        csv_text = open(download.value.path(), encoding="utf-8-sig").read()
        lines = csv_text.strip().splitlines()
        assert lines[0].startswith("编号,") and len(lines) == 3  # the header and the two cases of the unit
        assert all("焚烧垃圾" not in line for line in lines)
        pair = page.locator(".tile", has_text="乱堆乱放")
        expect(pair.locator(".pair img")).to_have_count(2)  # before and after side by side
        pair.locator("button").click()
        viewer = page.get_by_role("dialog")
        expect(viewer.locator("figure")).to_have_count(2)
        expect(viewer).to_contain_text("SHA-256")
        expect(viewer).to_contain_text("整改后照片")
        save_screenshot(page, "gallery-viewer")
        first = viewer.locator("header strong").inner_text()
        page.keyboard.press("ArrowLeft")  # the newer case, first in the grid
        expect(viewer.locator("header strong")).not_to_have_text(first)
        page.keyboard.press("ArrowRight")
        expect(viewer.locator("header strong")).to_have_text(first)
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)
        save_screenshot(page, "gallery")

        page.goto("/#/map")
        page.locator(".leaflet-container").wait_for()
        expect(page.locator(".legend")).to_contain_text("已派遣")
        # No tile server is configured (and there is no internet): markers on a plain background.
        expect(page.locator(".leaflet-tile")).to_have_count(0)
        markers = page.locator("path.marker, .marker-cluster")
        expect(markers.first).to_be_visible()
        expect(page.locator("#view")).to_contain_text("显示 3 个案件")
        save_screenshot(page, "map-no-tiles")

        page.goto("/#/evaluation")
        expect(page.get_by_role("heading", name="单位排名")).to_be_visible()
        expect(page.locator(".ranking").first).to_contain_text("市执法局北部分局")
        expect(page.locator(".ranking").first).to_contain_text("不排名")  # fewer cases than the minimum
        save_screenshot(page, "evaluation")

        page.get_by_role("link", name="生成通报").click()
        bulletin = page.locator(".bulletin")
        expect(bulletin.get_by_role("heading", level=1)).to_contain_text("创卫工作通报")
        expect(bulletin).to_contain_text("本期共派遣案件 3 件，已结案 1 件")
        save_screenshot(page, "bulletin")
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 1
        (tmp_path.parent / "bulletin.pdf").write_bytes(pdf)
    finally:
        ctx.close()


def test_admin_creates_a_liaison_and_changes_a_deadline(browser, live_server, add_user, server_app):
    add_user("office", "office")
    ctx = browser.new_context(base_url=live_server.base, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = ctx.new_page()
        sign_in(page, "office", capture=False)
        page.goto("/#/admin")
        page.get_by_label("用户名", exact=True).fill("wang.wu")
        page.get_by_label("姓名", exact=True).fill("王五")
        page.get_by_label("角色", exact=True).select_option("liaison")
        page.locator("#new-unit").select_option("jjdd")
        page.get_by_role("button", name="新建账号").click()
        expect(page.locator("#toast")).to_contain_text("wang.wu 的新密码")
        password = page.locator("#toast").inner_text().split("：")[1].split("（")[0]
        row = page.locator("tr", has_text="wang.wu")
        expect(row).to_contain_text("柳东交警大队")
        r = page.request.post("/api/auth/token", data={"username": "wang.wu", "password": password})
        assert r.status == 200
        cat = page.locator("tr", has=page.get_by_label("机动车乱停乱放 期限", exact=True))
        cat.get_by_label("机动车乱停乱放 期限", exact=True).fill("12")
        cat.get_by_label("机动车乱停乱放 期限单位", exact=True).select_option("hours")
        cat.get_by_role("button", name="保存").click()
        expect(page.locator("#toast")).to_contain_text("已保存")
        expect(page.locator(".history")).to_contain_text("category:a1-parking-motor")
        save_screenshot(page, "admin")
        row.get_by_role("button", name="停用").click()
        expect(page.locator("tr.inactive", has_text="wang.wu")).to_have_count(1)
        assert page.request.post("/api/auth/token", data={"username": "wang.wu", "password": password}).status == 401
    finally:
        ctx.close()
    with server_app.app_context():
        from sqlalchemy import select

        from server.extensions import db
        from server.models import Category
        cat = db.session.execute(select(Category).where(Category.code == "a1-parking-motor")).scalar_one()
        assert (cat.deadline_value, cat.deadline_kind) == (12, "hours")
