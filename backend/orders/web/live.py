"""How order events reach open pages: who hears them and what they redraw (the acceptance queue,
and the page of the order itself).

Order events go to their own topic, joined only by people who may see orders: an order's
customer, address and total are not for everyone who sees the team's activity.
"""

from __future__ import annotations

from backend.kernel.events import ORDERS_TOPIC, Event
from backend.orders.rules import OrderStatus
from backend.web.site import TopicRule

# Every change of one order: each move to a status records "order.<status>". What one does to the
# acceptance queue is the order rules' to say (``queue_move`` of each event).
ORDER_PAGE_EVENTS = (*(f"order.{status.value}" for status in OrderStatus), "order.edited")


def _to_order_readers(event: Event) -> set[str]:
    return {ORDERS_TOPIC}


TOPIC_RULES: tuple[tuple[str, TopicRule], ...] = (("order.*", _to_order_readers),)
FRAGMENTS = {
    event_type: ["orders/_live_queue.html", "orders/_live_order.html"] for event_type in ORDER_PAGE_EVENTS
}
