"""Security headers on every response: strict CSP (no inline code), no sniffing, no framing."""
from urllib.parse import urlsplit

from flask import request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:{tiles}; "
       "connect-src 'self'; worker-src 'self'; manifest-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def content_security_policy(tile_url):
    """The CSP, letting images come from the configured map tile host and nowhere else."""
    parts = urlsplit(tile_url) if tile_url else None
    if not parts or not parts.netloc:
        return CSP.format(tiles="")
    labels = parts.netloc.split(".")
    if "{" in labels[0]:  # a subdomain template such as t{s}.tianditu.gov.cn
        labels[0] = "*"
    return CSP.format(tiles=f" {parts.scheme}://{'.'.join(labels)}")


def register_security_headers(app):
    """Add the headers after each request."""
    csp = content_security_policy(app.config.get("MAP_TILE_URL", ""))

    @app.after_request
    def add_headers(resp):
        resp.headers.setdefault("Content-Security-Policy", csp)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return resp
