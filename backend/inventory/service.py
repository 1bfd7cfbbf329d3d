"""Stock operations, for the commands of this domain and of others (orders, purchasing): each is
synchronous code inside the caller's command (``backend.kernel.tx``), so that, e.g., an order and its
reservation commit together.

Holding, selling and changing on-hand stock is ``holds``, the same plain SQL the hot path of order
placement runs; transfers, counts and reorder settings build on it here. A command that changed
stock ends with ``settle`` (reorder drafts, and one event with the new levels)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.inventory import holds, settling
from backend.inventory.errors import InsufficientStock, Shortage, StockError
from backend.inventory.holds import (
    Change,
    Held,
    Hold,
    change_on_hand,
    consume,
    record_shortfall,
    release,
    reserve,
)
from backend.inventory.rules import MovementKind
from backend.inventory.settling import TOUCHED, OnLow, touch
from backend.kernel.tx import Tx

__all__ = [
    "Change",
    "Held",
    "Hold",
    "InsufficientStock",
    "Shortage",
    "StockError",
    "change_on_hand",
    "consume",
    "record_shortfall",
    "release",
    "reserve",
]

_COUNTED = (
    "UPDATE stock_levels SET on_hand = :counted, version = version + 1"
    " WHERE product_id = :product_id AND location_id = :location_id"
    " AND on_hand = :expected AND reserved <= :counted"
)
_REORDER = (
    "UPDATE stock_levels SET reorder_point = :point, reorder_qty = :quantity, version = version + 1"
    " WHERE product_id = :product_id AND location_id = :location_id"
    " AND reorder_point = :seen_point AND reorder_qty = :seen_quantity"
)


def transfer(
    tx: Tx, product_id: int, *, source: int, target: int, quantity: int, actor_id: int | None
) -> None:
    if source == target:
        raise StockError("same_location")
    steps = [
        Change(product_id, source, -quantity, MovementKind.TRANSFER_OUT, reference=f"location:{target}"),
        Change(product_id, target, quantity, MovementKind.TRANSFER_IN, reference=f"location:{source}"),
    ]
    for step in sorted(steps, key=lambda change: change.location_id):  # stable lock order
        change_on_hand(tx, step, actor_id)


@dataclass(frozen=True)
class Count:
    product_id: int
    expected: int  # what the counter was shown
    counted: int


def apply_count(tx: Tx, location_id: int, counts: list[Count], actor_id: int | None) -> list[int]:
    """Set on-hand to what was counted where it still is what the counter saw; returns the product
    ids that changed in the meantime (to be counted again), having applied nothing if any did."""
    stale = []
    for count in sorted(counts, key=lambda c: c.product_id):
        if count.counted == count.expected:
            continue
        try:
            _set_counted(tx, location_id, count, actor_id)
        except StockError:
            stale.append(count.product_id)
    if stale:
        raise StockError("count_stale", product_ids=stale)
    return stale


def _set_counted(tx: Tx, location_id: int, count: Count, actor_id: int | None) -> None:
    holds.ensure_level(tx, count.product_id, location_id)
    level = {"product_id": count.product_id, "location_id": location_id}
    if tx.execute(_COUNTED, {**level, "expected": count.expected, "counted": count.counted}).rowcount != 1:
        raise StockError("count_stale")
    delta = count.counted - count.expected
    holds.record_movement(
        tx, Change(count.product_id, location_id, delta, MovementKind.COUNT_CORRECTION), actor_id
    )
    touch(tx.info, count.product_id, location_id)


@dataclass(frozen=True)
class Reorder:
    point: int
    quantity: int


def set_reorder(tx: Tx, product_id: int, location_id: int, wanted: Reorder, seen: Reorder) -> None:
    """Change the reorder settings if they are still what the person saw. The level's version moves
    with every sale, so comparing the settings themselves avoids conflicts nobody could resolve."""
    holds.ensure_level(tx, product_id, location_id)
    params = {
        "product_id": product_id,
        "location_id": location_id,
        "point": wanted.point,
        "quantity": wanted.quantity,
        "seen_point": seen.point,
        "seen_quantity": seen.quantity,
    }
    if tx.execute(_REORDER, params).rowcount != 1:
        raise StockError("reorder_changed")
    touch(tx.info, product_id, location_id)  # settle() drafts a reorder if the level is now low


# -- after every stock change ---------------------------------------------------------------------


def settle(tx: Tx, actor_id: int | None, on_low: OnLow) -> None:
    """Reorder what fell low (``on_low``, from purchasing) and record one event with the new
    levels, so that stock screens update live. Call once, at the end of a command that changed
    stock."""
    touched = tx.info.pop(TOUCHED, set())
    if touched:
        settling.settle(tx, touched, actor_id, on_low)
