"""Which topics a connection may join. Pure Python."""

from __future__ import annotations

from backend.auth.principal import Principal
from backend.auth.rules import Permission, Role
from backend.kernel.events import ORDERS_TOPIC, STAFF_TOPIC, orders_of_topic

# A socket that comes back after missing more than this many events reloads its page instead.
MAX_REPLAY = 500


def topics_for_principal(principal: Principal) -> set[str]:
    topics = {f"user:{principal.user_id}"}
    if principal.can(Permission.ACTIVITY_VIEW):
        topics.add(STAFF_TOPIC)
    if principal.can(Permission.ORDERS_VIEW):
        topics.add(ORDERS_TOPIC)
    if principal.role == Role.DRIVER:
        topics.add(f"driver:{principal.user_id}")
    if principal.role == Role.CUSTOMER:  # only a customer's account has orders of its own
        topics.add(orders_of_topic(principal.user_id))
    return topics


def is_allowed_origin(origin: str | None, host: str | None, scheme: str, base_url: str) -> bool:
    """Browsers always send Origin on a websocket handshake; refuse any other site's pages.

    Clients that are not browsers send none and cannot ride on a victim's cookies, so a missing
    Origin is accepted.
    """
    if origin is None:
        return True
    allowed = {base_url.rstrip("/")}
    if host:
        allowed.add(f"{'https' if scheme in ('wss', 'https') else 'http'}://{host}")
    return origin.rstrip("/") in allowed
