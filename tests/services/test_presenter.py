"""The case presenter: photo URLs written out by hand must match the route's own URL."""
from flask import url_for

from server.services.presenter import photo_url


def test_photo_url_matches_the_route(app):
    sha = "ab" * 32
    for root in ("", "/xuncha"):
        with app.test_request_context(environ_base={"SCRIPT_NAME": root}):
            for variant in ("thumb", "medium", "original"):
                assert photo_url(sha, variant) == url_for("photos.get_photo", sha256=sha, variant=variant)
