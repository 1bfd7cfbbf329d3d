"""After stock changed: reorder drafts for what fell low, and one ``stock.changed`` event with the
new figures of every level touched, so that open stock screens update live.

Operations note the levels they touch in their unit of work's ``info``; ``settle`` runs once at
the end of the transaction (or of the writer's batch, over all its jobs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from backend.inventory.events import Level, StockChanged
from backend.kernel.events import record
from backend.kernel.tx import Tx

TOUCHED = "stock_touched"
SETTLED = "stock_settled"  # the products whose levels the transaction changed, for commit callbacks
# Their units free to sell once it commits, with the id of the event that says so: product →
# (event id, units). Commit callbacks may run out of commit order; the event ids tell which is newer.
AVAILABLE = "stock_available"

Key = tuple[int, int]  # (product_id, location_id)


@dataclass(frozen=True)
class Low:
    """A stock level with reorder settings, as it stands after a change."""

    product_id: int
    location_id: int
    supplier_id: int
    free: int  # on hand less reserved and backordered
    point: int
    quantity: int


# What to do about a level with reorder settings, in the same transaction: purchasing drafts the
# reorder (``purchasing.reorder.draft_reorder``). Purchasing sits above inventory, so the command
# that changed stock passes it down; a module-level function, so it crosses to the writer by name.
OnLow = Callable[[Tx, Low, int | None], None]


def no_reorder(tx: Tx, low: Low, actor_id: int | None) -> None:
    """What an app without purchasing does about a low level: nothing (nobody drafts reorders)."""


_LEVELS = (
    "SELECT l.product_id, l.location_id, l.on_hand, l.reserved, l.backordered, l.reorder_point,"
    " l.reorder_qty, p.supplier_id FROM stock_levels l JOIN products p ON p.id = l.product_id"
    " WHERE l.product_id "
)


def touch(info: dict[str, Any], product_id: int, location_id: int) -> None:
    info.setdefault(TOUCHED, set()).add((product_id, location_id))


def settle_batch(actor_id: int | None, on_low: OnLow) -> Any:
    """A batch-end step (``Tx.at_batch_end``) settling every level the batch's jobs touched."""

    def step(tx: Tx, infos: list[dict[str, Any]]) -> None:
        settle(tx, set().union(*(info.pop(TOUCHED, set()) for info in infos)), actor_id, on_low)

    return step


def _levels_of(tx: Tx, product_ids: list[int]) -> dict[int, dict[int, Any]]:
    """Every level of these products: product → location → row."""
    rows = tx.execute(_LEVELS + tx.in_ids, {"ids": tx.array(product_ids)}).fetchall()
    found: dict[int, dict[int, Any]] = {}
    for row in rows:
        found.setdefault(row[0], {})[row[1]] = row
    return found


def settle(tx: Tx, touched: Iterable[Key], actor_id: int | None, on_low: OnLow) -> None:
    keys = sorted(touched)
    if not keys:
        return
    products = sorted({product_id for product_id, _ in keys})
    rows = _levels_of(tx, products)
    levels, low = [], []
    for product_id, location_id in keys:
        row = rows.get(product_id, {}).get(location_id)
        if row is None:
            continue
        _, _, on_hand, reserved, backordered, point, quantity, supplier_id = row
        levels.append(Level(product_id, location_id, on_hand, reserved, backordered, point))
        if quantity > 0 and supplier_id is not None:
            free = on_hand - reserved - backordered
            low.append(Low(product_id, location_id, supplier_id, free, point, quantity))
    for level in low:  # drafting changes no level: the figures above stay true
        on_low(tx, level, actor_id)
    available = {
        str(product_id): sum(row[2] - row[3] for row in rows.get(product_id, {}).values())
        for product_id in products
    }
    changed = StockChanged(levels=tuple(levels), available=available)
    event_id = record(tx, changed, f"stock:{keys[0][0]}", actor_id)
    tx.info.setdefault(SETTLED, set()).update(products)
    figures = tx.info.setdefault(AVAILABLE, {})
    figures.update({product_id: (event_id, available[str(product_id)]) for product_id in products})
