"""How order events reach open acceptance queues: who hears them, what they say, what they redraw.

Order events go to their own topic, joined only by people who may see orders: an order's
customer, address and total are not for everyone who sees the team's activity.
"""

from __future__ import annotations

from functools import cache

from backend.events import ORDERS_TOPIC, Event, topic_rule
from backend.i18n import N_, gettext
from backend.realtime.describe import describes
from backend.realtime.fragments import live_fragment

QUEUE_EVENTS = (
    "order.placed",
    "order.on_hold",
    "order.edited",
    "order.accepted",
    "order.rejected",
    "order.cancelled",
)

SENTENCES = {
    "order.placed": N_("New order %(number)s"),
    "order.accepted": N_("%(actor)s accepted order %(number)s"),
    "order.rejected": N_("%(actor)s rejected order %(number)s"),
    "order.on_hold": N_("Order %(number)s is on hold"),
    "order.cancelled": N_("%(actor)s cancelled order %(number)s"),
    "order.edited": N_("%(actor)s changed order %(number)s"),
}


def _to_order_readers(event: Event) -> set[str]:
    return {ORDERS_TOPIC}


def _sentence(event_type: str, message: str) -> None:
    @describes(event_type)
    def describer(event: Event, actor: str) -> str:
        return gettext(message, actor=actor, number=str(event.data.get("number", "")))


@cache  # several apps in one process (tests): one topic rule is enough
def register_live_updates() -> None:
    topic_rule("order.*")(_to_order_readers)
    for event_type, message in SENTENCES.items():
        _sentence(event_type, message)
    for event_type in QUEUE_EVENTS:
        live_fragment(event_type, "orders/_live_queue.html")
