"""How document events reach open pages: people who see orders hear them; an order's page and a
document's own page ask for their panel of links again (``documents/_live_opens.html``), so
"opened by the customer 3 times" moves as the customer opens the link."""

from __future__ import annotations

from backend.documents.events import EVENTS
from backend.kernel.events import ORDERS_TOPIC, Event
from backend.web.site import TopicRule


def _to_order_readers(event: Event) -> set[str]:
    return {ORDERS_TOPIC}


TOPIC_RULES: tuple[tuple[str, TopicRule], ...] = (("document.*", _to_order_readers),)
FRAGMENTS = {event.__struct_config__.tag: ["documents/_live_opens.html"] for event in EVENTS}
