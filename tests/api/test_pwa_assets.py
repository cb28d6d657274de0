"""The PWA's static files: versioned URLs cached for a year, gzip, ETags, and no way out of pwa/."""
import gzip
import json
import re
import shutil

import pytest

from server.api import pwa

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def versioned_urls(html):
    return re.findall(r'(?:href|src)="(/v/[0-9a-f]{16}/[^"]+)"', html)


def test_pages_name_their_css_and_modules_under_the_shell_version(client):
    for page, module in (("/", "js/app.js"), ("/public", "js/public.js")):
        html = client.get(page).get_data(as_text=True)
        urls = versioned_urls(html)
        assert f"/v/{pwa.shell_version()}/{module}" in urls
        assert f"/v/{pwa.shell_version()}/css/app.css" in urls
        assert "__ASSETS__" not in html


def test_a_versioned_module_is_immutable_and_gzipped_when_accepted(client):
    url = f"/v/{pwa.shell_version()}/js/app.js"
    plain = client.get(url)
    assert plain.status_code == 200
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert plain.mimetype == "text/javascript"
    assert "Content-Encoding" not in plain.headers
    assert plain.data == (pwa.PWA_DIR / "js" / "app.js").read_bytes()

    packed = client.get(url, headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2
    # Plain and compressed bodies carry different validators.
    assert packed.headers["ETag"] != plain.headers["ETag"]


def test_a_repeat_request_with_the_etag_gets_304_without_a_body(client):
    first = client.get("/", headers=GZIP)
    again = client.get("/", headers={**GZIP, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert first.headers["Cache-Control"] == "no-cache"


def test_every_url_the_service_worker_precaches_is_served(client):
    source = client.get("/sw.js").get_data(as_text=True)
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    version = pwa.shell_version()
    assert f"const VERSION = '{version}'" in source
    assert f"/v/{version}/vendor/idb/index.js" in shell and "/" in shell
    for url in shell:
        assert client.get(url).status_code == 200, url


def test_npm_modules_are_served_under_the_version_too(client):
    version = pwa.shell_version()
    r = client.get(f"/v/{version}/vendor/leaflet/leaflet.js", headers=GZIP)
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert client.get(f"/v/{version}/vendor/nope/x.js").status_code == 404
    # Images are sent as they are: compressing a PNG gains nothing.
    icon = client.get(f"/v/{version}/vendor/leaflet/images/marker-icon.png", headers=GZIP)
    assert icon.status_code == 200 and "Content-Encoding" not in icon.headers


def test_a_previous_release_s_url_still_works_but_is_not_kept_for_a_year(client):
    # A page open during an update may still ask for its release's files (Leaflet on the map).
    r = client.get("/v/0123456789abcdef/js/app.js")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-cache"
    assert client.get("/v/0123456789abcdef/vendor/leaflet/leaflet.js").headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("url", ["/js/../../server/config.py", "/js/..%2F..%2Fserver%2Fconfig.py",
                                 "/vendor/idb/../../../../server/config.py", "/css/%2e%2e/%2e%2e/wsgi.py"])
def test_paths_cannot_leave_the_pwa_folders(client, url):
    r = client.get(url)
    assert r.status_code == 404
    assert b"SECRET_KEY" not in r.data


def test_editing_a_shell_file_changes_the_version_and_retires_old_urls(client, tmp_path, monkeypatch):
    copy = tmp_path / "pwa"
    shutil.copytree(pwa.PWA_DIR, copy, ignore=shutil.ignore_patterns("node_modules"))
    monkeypatch.setattr(pwa, "PWA_DIR", copy)
    before = pwa.shell_version()
    assert client.get(f"/v/{before}/js/app.js").status_code == 200
    with open(copy / "js" / "app.js", "a", encoding="utf-8") as f:
        f.write("\n// a new release\n")
    after = pwa.shell_version()
    assert after != before
    assert client.get(f"/v/{before}/js/app.js").headers["Cache-Control"] == "no-cache"
    fresh = client.get(f"/v/{after}/js/app.js")
    assert fresh.status_code == 200 and fresh.data.endswith(b"// a new release\n")
    assert fresh.headers["Cache-Control"] == "public, max-age=31536000, immutable"
