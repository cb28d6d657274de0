"""HTTP layer: thin blueprints that load, call one service, dump."""
from . import admin, auth, catalog, office, open311, photos, public, pwa, reports, units, workflow


def register_blueprints(app, rest_api):
    """Attach every blueprint; API ones go through flask-smorest for the OpenAPI document."""
    for module in (auth, catalog, reports, photos, workflow, units, public, office, admin):
        rest_api.register_blueprint(module.bp, url_prefix="/api")
    app.register_blueprint(open311.bp, url_prefix="/open311/v2")
    app.register_blueprint(pwa.bp)
