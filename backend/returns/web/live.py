"""How return events reach open pages. The team (people who see orders) hear every return: the
returns list and a return's page ask for themselves again, an order's page its returns panel.
The customer hears their own: the order's tracking page (``track:<order id>``) and, with an
account, their own pages (``orders-of:<user id>``), which then ask for themselves again and show
only what a customer may read."""

from __future__ import annotations

from backend.kernel.events import ORDERS_TOPIC, Event, orders_of_topic
from backend.returns.events import RETURN_EVENTS
from backend.web.site import TopicRule

TRACK_PREFIX = "track:"  # the storefront's tracking pages' topic (storefront/web/tracking_live.py)


def _to_readers(event: Event) -> set[str]:
    payload = event.payload
    topics = {ORDERS_TOPIC}
    order_id = getattr(payload, "order_id", None)
    if isinstance(order_id, int):
        topics.add(f"{TRACK_PREFIX}{order_id}")
    account = getattr(payload, "account", None)
    if isinstance(account, int):
        topics.add(orders_of_topic(account))
    return topics


TOPIC_RULES: tuple[tuple[str, TopicRule], ...] = (("return.*", _to_readers),)
FRAGMENTS = {event_type: ["returns/_live_return.html"] for event_type in RETURN_EVENTS}
