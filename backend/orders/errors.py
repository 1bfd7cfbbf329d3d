"""What the order operations raise. Each leaves the database exactly as it was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.orders.drafts import OrderRejected

if TYPE_CHECKING:
    from backend.orders.views import OrderSummary

__all__ = [
    "DuplicateExternalRef",
    "OrderForbidden",
    "OrderNotFound",
    "OrderRejected",
    "OutOfStock",
    "ShortLine",
    "StaleOrder",
    "TransitionRefused",
]


@dataclass(frozen=True)
class ShortLine:
    sku: str
    wanted: int
    available: int


class OutOfStock(Exception):
    """Not every line can be held at the location; ``short`` names each line that cannot."""

    def __init__(self, short: list[ShortLine], location: str) -> None:
        super().__init__("insufficient_stock")
        self.short = short
        self.location = location


class OrderNotFound(Exception):
    pass


class OrderForbidden(Exception):
    """The actor lacks the right to do this to this order."""


class StaleOrder(Exception):
    """The order changed since the caller read it (its version moved on)."""

    def __init__(self, current: OrderSummary) -> None:
        super().__init__("stale_version")
        self.current = current


class TransitionRefused(Exception):
    """The order's current status does not allow this move (``code`` says why)."""

    def __init__(self, code: str, current: OrderSummary) -> None:
        super().__init__(code)
        self.code = code
        self.current = current


class DuplicateExternalRef(Exception):
    """This channel already delivered an order with this external reference."""

    def __init__(self, order_id: int, number: str) -> None:
        super().__init__("external_ref_taken")
        self.order_id = order_id
        self.number = number
