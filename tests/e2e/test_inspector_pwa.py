"""The inspector's PWA in real Chromium: offline capture, outbox, automatic sync, refusals, install."""
import threading
import time

from playwright.sync_api import expect

from .conftest import save_screenshot
from .helpers import badge, file_case, server_cases, sha, sign_in

CASES = [  # category, expected lead unit, sample photos
    ("a1-parking-motor", "柳东交警大队", ["gps/DSCN0010.jpg"]),
    ("a2-dry-latrine", "阳和街道办事处", ["mobile/jolla.jpg", "orientation/portrait_6.jpg"]),
    ("a4-dust", "规划建设环保局", ["heic/IMG_5195.HEIC"]),
]


def capture_three_offline(page, phone, sample_copy):
    phone.set_offline(True)
    expected = {}
    for category, lead, photos in CASES:
        paths = [sample_copy(p) for p in photos]
        file_case(page, category, paths, description=f"离线上报 {category}")
        expected[category] = (lead, sorted(sha(p) for p in paths))
    expect(badge(page)).to_have_text("待同步 3")
    return expected


def assert_server_holds(server_app, expected):
    cases, photo_rows = server_cases(server_app)
    assert len(cases) == 3
    got = {category: (lead, shas) for category, lead, shas in cases.values()}
    assert got == expected
    assert len(photo_rows) == sum(len(v[1]) for v in expected.values())  # no photo twice


def test_offline_journey(phone, add_user, server_app, sample_copy):
    add_user("zhang.san", "inspector")
    page = phone.new_page()
    sign_in(page, "zhang.san")
    save_screenshot(page, "capture-screen-360x780")
    expected = capture_three_offline(page, phone, sample_copy)

    page.reload()  # offline: the service worker serves the shell, the session is still there
    page.get_by_label("问题类型", exact=True).wait_for()
    expect(badge(page)).to_have_text("待同步 3")
    expect(page.get_by_role("status")).to_contain_text("离线")
    assert server_cases(server_app)[0] == {}

    phone.set_offline(False)  # nothing clicked: the online event starts the sync
    expect(badge(page)).to_have_text("待同步 0", timeout=30000)
    assert_server_holds(server_app, expected)
    page.goto("/#/outbox")
    expect(page.locator(".item-synced")).to_have_count(3)
    expect(page.locator(".item-synced").first).to_contain_text("编号")
    save_screenshot(page, "outbox-synced")


def test_flaky_network_and_server_restart(phone, add_user, server_app, live_server, sample_copy):
    add_user("zhang.san", "inspector")
    page = phone.new_page()
    sign_in(page, "zhang.san")
    expected = capture_three_offline(page, phone, sample_copy)

    aborted = set()
    photo_puts = []

    def flaky_photos(route):
        # The first attempt of every photo upload dies on the way.
        url = route.request.url
        if route.request.method == "PUT" and url not in aborted:
            aborted.add(url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/reports/*/photos/*", flaky_photos)
    page.on("response", lambda r: photo_puts.append(r.status) if "/photos/" in r.url else None)
    phone.set_offline(False)

    # Once the first photo is stored, the server dies and comes back: the rest is mid-sync.
    deadline = time.time() + 30
    while 201 not in photo_puts and time.time() < deadline:
        page.wait_for_timeout(100)
    assert 201 in photo_puts, (photo_puts, aborted)
    live_server.stop()
    page.wait_for_timeout(1500)
    live_server.start()

    page.goto("/#/outbox")
    expect(badge(page)).to_have_text("待同步 0", timeout=90000)
    assert len(aborted) == 4  # every photo was refused once and then sent again
    assert_server_holds(server_app, expected)
    expect(page.locator(".item-synced")).to_have_count(3)
    assert page.evaluate("""async () => {
        const req = indexedDB.open('xuncha');
        const db = await new Promise((ok) => { req.onsuccess = () => ok(req.result); });
        const n = await new Promise((ok) => { const r = db.transaction('blobs').objectStore('blobs').count(); r.onsuccess = () => ok(r.result); });
        db.close();
        return n;
    }""") == 0  # every photo Blob was freed after the server confirmed it


def test_refused_photo_stays_with_reason_and_does_not_block(phone, add_user, server_app, sample_copy, tmp_path):
    add_user("zhang.san", "inspector")
    page = phone.new_page()
    sign_in(page, "zhang.san")
    broken = tmp_path / "broken.jpg"
    data = sample_copy("gps/DSCN0012.jpg").read_bytes()
    broken.write_bytes(data[: len(data) // 3])  # a JPEG cut short, as a flaky SD card leaves it
    phone.set_offline(True)
    file_case(page, "a1-piling", [broken])
    good = sample_copy("gps/DSCN0021.jpg")
    file_case(page, "a3-garbage", [good])
    expect(badge(page)).to_have_text("待同步 2")
    phone.set_offline(False)
    page.goto("/#/outbox")
    expect(page.locator(".item-failed")).to_have_count(1, timeout=30000)
    expect(page.locator(".item-synced")).to_have_count(1, timeout=30000)
    failed = page.locator(".item-failed")
    expect(failed).to_contain_text("乱堆乱放")
    expect(failed).to_contain_text("无法解码")
    expect(badge(page)).to_have_text("待同步 1")
    cases, _ = server_cases(server_app)
    synced = [v for v in cases.values() if v[0] == "a3-garbage"]
    assert synced == [("a3-garbage", "阳和工商所", [sha(good)])]
    # Signing out would lose the unsent case: refused, with the reason.
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("alert").filter(has_text="未同步")).to_be_visible()
    save_screenshot(page, "outbox-refused-photo")
    # The inspector gives up on it: deleting frees the badge.
    page.once("dialog", lambda d: d.accept())
    failed.get_by_role("button", name="删除此案件").click()
    expect(badge(page)).to_have_text("待同步 0")


def test_manifest_and_service_worker_make_it_installable(phone, add_user):
    add_user("zhang.san", "inspector")
    page = phone.new_page()
    sign_in(page, "zhang.san")
    manifest = page.request.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    m = manifest.json()
    assert m["lang"] == "zh-CN" and m["short_name"] == "巡查" and m["display"] == "standalone"
    assert m["start_url"].startswith("/") and m["scope"] == "/" and m["theme_color"]
    sizes = {(i["sizes"], i["purpose"]) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in m["icons"]:
        png = page.request.get(icon["src"]).body()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(png[16:20], "big")
        assert f"{width}x{width}" == icon["sizes"]
    state = page.evaluate("""async () => {
        const reg = await navigator.serviceWorker.getRegistration('/');
        return {active: reg.active && reg.active.state, scope: reg.scope,
                controlled: navigator.serviceWorker.controller !== null,
                caches: await caches.keys()};
    }""")
    assert state["active"] == "activated" and state["controlled"]
    assert state["scope"].endswith("/")
    assert len(state["caches"]) == 1 and state["caches"][0].startswith("xuncha-shell-")
    csp = page.request.get("/").headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp


def test_category_search_by_pinyin_initials_and_english_switch(phone, add_user):
    add_user("zhang.san", "inspector")
    page = phone.new_page()
    sign_in(page, "zhang.san")
    page.get_by_label("搜索问题类型（汉字或拼音首字母）").fill("hc")  # 旱厕
    select = page.get_by_label("问题类型", exact=True)
    expect(select).to_have_value("a2-dry-latrine")
    expect(page.locator("#receiver")).to_contain_text("由 阳和街道办事处 负责")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Submit")).to_be_visible()
    expect(page.locator("#receiver")).to_have_count(1)
