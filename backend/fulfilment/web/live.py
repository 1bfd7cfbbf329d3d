"""How orders moving reach the fulfilment pages: every move of an order and every line picked
redraws the board (it asks for itself again, as an order's page does), and an open pick list
whose order changed (cancelled or held meanwhile) shows it. The events reach the orders topic
through the orders domain's own rule (``order.*``): no rule of its own is needed."""

from __future__ import annotations

from backend.fulfilment.events import LinePicked, PickupCodeRefused, ShortPick
from backend.kernel.events import type_of
from backend.orders.rules import OrderStatus

TOPIC_RULES: tuple[()] = ()

BOARD_EVENTS = (
    *(f"order.{status.value}" for status in OrderStatus),
    type_of(LinePicked),
    type_of(ShortPick),
    type_of(PickupCodeRefused),
)
FRAGMENTS = {event_type: ["fulfilment/_live_board.html"] for event_type in BOARD_EVENTS}
# A line picked is not news for the feed: the board's figures say it.
QUIET = (type_of(LinePicked),)
