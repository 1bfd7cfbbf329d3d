"""Stock rules. Pure Python: quantities, movement kinds and when to reorder."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from backend.i18n import N_

# Above this, a quantity is a typing mistake, not a delivery.
MAX_QUANTITY = 1_000_000


class MovementKind(StrEnum):
    RECEIPT = "receipt"  # goods arrived from a supplier
    SALE = "sale"  # goods left with an order
    ADJUSTMENT = "adjustment"  # a correction with a reason (damage, theft, found)
    TRANSFER_OUT = "transfer_out"  # sent to another location
    TRANSFER_IN = "transfer_in"  # arrived from another location
    RETURN = "return"  # came back from a customer
    COUNT_CORRECTION = "count_correction"  # a cycle count found a different quantity


MOVEMENT_LABELS = {
    MovementKind.RECEIPT: N_("Receipt"),
    MovementKind.SALE: N_("Sale"),
    MovementKind.ADJUSTMENT: N_("Adjustment"),
    MovementKind.TRANSFER_OUT: N_("Transfer out"),
    MovementKind.TRANSFER_IN: N_("Transfer in"),
    MovementKind.RETURN: N_("Return"),
    MovementKind.COUNT_CORRECTION: N_("Count correction"),
}


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    SHOP = "shop"


@dataclass(frozen=True)
class Line:
    """A wanted quantity of one product."""

    product_id: int
    quantity: int


def quantity_problem(quantity: int, *, allow_zero: bool = False, signed: bool = False) -> str | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return "not_a_whole_number"
    if signed:
        if quantity == 0 and not allow_zero:
            return "zero_change"
        return "too_large" if abs(quantity) > MAX_QUANTITY else None
    if quantity < 0 or (quantity == 0 and not allow_zero):
        return "not_positive"
    return "too_large" if quantity > MAX_QUANTITY else None


def merge_lines(lines: list[Line]) -> list[Line]:
    """One line per product, in product order: the order in which rows are locked (no deadlocks)."""
    totals: dict[int, int] = {}
    for line in lines:
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return [Line(product_id, quantity) for product_id, quantity in sorted(totals.items())]


def reorder_quantity(available: int, incoming: int, reorder_point: int, reorder_qty: int) -> int:
    """How much more to order: the reorder quantity once what we have and expect falls below the
    point, enough times over to get back above it."""
    if reorder_qty <= 0 or available + incoming >= reorder_point:
        return 0
    missing = reorder_point - (available + incoming)
    batches = -(-missing // reorder_qty)  # ceiling division
    return batches * reorder_qty
