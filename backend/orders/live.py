"""How order events reach open acceptance queues: who hears them and what they redraw.

Order events go to their own topic, joined only by people who may see orders: an order's
customer, address and total are not for everyone who sees the team's activity.
"""

from __future__ import annotations

from functools import cache

from backend.events import ORDERS_TOPIC, Event, topic_rule
from backend.realtime.fragments import live_fragment

QUEUE_EVENTS = (
    "order.placed",
    "order.on_hold",
    "order.edited",
    "order.accepted",
    "order.rejected",
    "order.cancelled",
)


def _to_order_readers(event: Event) -> set[str]:
    return {ORDERS_TOPIC}


@cache  # several apps in one process (tests): one topic rule is enough
def register_live_updates() -> None:
    topic_rule("order.*")(_to_order_readers)
    for event_type in QUEUE_EVENTS:
        live_fragment(event_type, "orders/_live_queue.html")
