"""All models, imported so that Alembic and the app see the whole schema."""
from .audit import AuditEntry
from .case import OPEN_STATUSES, SOURCES, STATUSES, Case
from .catalog import Action, CalendarDay, CatalogMeta, Category, Zone
from .event import Event
from .notification import RateHit, WebhookDelivery
from .photo import Photo
from .unit import Unit
from .user import ROLES, ApiKey, AuthToken, LoginFailure, User

__all__ = ["AuditEntry", "Action", "ApiKey", "AuthToken", "CalendarDay", "Case", "CatalogMeta", "Category",
           "Event", "LoginFailure", "RateHit", "WebhookDelivery", "OPEN_STATUSES", "Photo", "ROLES", "SOURCES", "STATUSES",
           "Unit", "User", "Zone"]
