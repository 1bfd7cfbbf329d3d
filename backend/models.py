"""Every table, imported in one place so that metadata and migrations see them all."""

from backend.auth.models import ApiToken, PermissionOverride, SignInThrottle, User, WebSession
from backend.db import Base
from backend.events import Event, EventCursor
from backend.idempotency.models import IdempotencyKey
from backend.shop.models import ShopProfile

__all__ = [
    "ApiToken",
    "Base",
    "Event",
    "EventCursor",
    "IdempotencyKey",
    "PermissionOverride",
    "ShopProfile",
    "SignInThrottle",
    "User",
    "WebSession",
]
