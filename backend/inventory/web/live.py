"""How stock events redraw the figures on open stock pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from backend.inventory.events import StockChanged
from backend.inventory.levels import Figures
from backend.kernel.events import Event


@dataclass(frozen=True)
class LiveLevel(Figures):
    """A level's figures as the event tells them: no query per open socket."""

    product_id: int
    location_id: int
    on_hand: int
    reserved: int
    backordered: int
    reorder_point: int


def live_levels(event: Event) -> Iterator[LiveLevel]:
    changed: StockChanged = event.payload
    for level in changed.levels:
        yield LiveLevel(
            product_id=level.product_id,
            location_id=level.location_id,
            on_hand=level.on_hand,
            reserved=level.reserved,
            backordered=level.backordered,
            reorder_point=level.reorder_point,
        )


FRAGMENTS = {"stock.changed": ["inventory/_live_levels.html"]}
TEMPLATE_GLOBALS = {"live_levels": live_levels}
