"""Security headers on every kind of answer: strict CSP, no sniffing, no framing, HSTS over HTTPS."""
import pytest

from server import create_app
from server.security_headers import content_security_policy

KINDS = ["/", "/public", "/sw.js", "/manifest.webmanifest", "/js/app.js", "/api/catalog",
         "/api/reports/00000000-0000-0000-0000-000000000000", "/api/nope", "/open311/v2/services.json"]


def directives(csp):
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in csp.split(";")) if part}


@pytest.mark.parametrize("path", KINDS)
def test_every_answer_carries_the_headers(client, make_user, path):
    _, headers = make_user("office")
    r = client.get(path, headers=headers)
    csp = r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    d = directives(csp)
    assert d["default-src"] == ["'self'"] and d["script-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"] and d["base-uri"] == ["'none'"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP: HSTS would be ignored or wrong


def test_hsts_over_https(client):
    r = client.get("/", base_url="https://xuncha.test")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_behind_a_tls_proxy(tmp_path):
    """nginx terminates TLS and says so in X-Forwarded-Proto; with PROXY_HOPS=1 the app believes it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "PHOTO_STORE": str(tmp_path),
                      "TESTING": True, "PROXY_HOPS": 1})
    client = app.test_client()
    assert "Strict-Transport-Security" in client.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    assert "Strict-Transport-Security" not in client.get("/", headers={"X-Forwarded-Proto": "http"}).headers


def test_sign_in_sets_no_cookie(client, make_user):
    """Bearer tokens only: no cookie a cross-site request could ride on."""
    make_user("inspector", username="sun.ba")
    r = client.post("/api/auth/token", json={"username": "sun.ba", "password": "correct horse battery"})
    assert r.status_code == 200 and r.json["token"]
    assert "Set-Cookie" not in r.headers


def test_map_tiles_widen_only_img_src():
    csp = content_security_policy("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY")
    d = directives(csp)
    assert d["img-src"] == ["'self'", "blob:", "data:", "https://*.tianditu.gov.cn"]
    assert d["connect-src"] == ["'self'"] and d["script-src"] == ["'self'"]
    assert directives(content_security_policy(""))["img-src"] == ["'self'", "blob:", "data:"]
