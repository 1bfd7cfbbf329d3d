"""Stock changes, synchronous (``backend.kernel.tx``), in plain SQL: hold, give back, turn into a sale,
and add to or take from what is on hand (receipts, adjustments, transfers), filling backorders.

This is the one place the counters of ``stock_levels`` change with what is held (counts and
reorder settings, in ``service``, build on it). Counters change only through conditional UPDATEs
taken in product order, which keeps them exact and deadlock-free on both engines; the CHECKs on
``stock_levels`` stop anything that slips past. These run inside the caller's transaction, which
rolls back whatever was changed when one raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.catalog.queries import backorder_terms
from backend.inventory.errors import InsufficientStock, Shortage, StockError
from backend.inventory.rules import Line, MovementKind, merge_lines
from backend.inventory.settling import touch
from backend.kernel.tx import Tx, values_rows

_FREE = (
    "SELECT on_hand - reserved FROM stock_levels"
    " WHERE product_id = :product_id AND location_id = :location_id"
)
_HOLD = (
    "UPDATE stock_levels SET reserved = reserved + :quantity, version = version + 1"
    " WHERE product_id = :product_id AND location_id = :location_id AND on_hand - reserved >= :quantity"
)
_ENSURE_LEVEL = (
    "INSERT INTO stock_levels"
    " (product_id, location_id, on_hand, reserved, backordered, reorder_point, reorder_qty, version)"
    " VALUES (:product_id, :location_id, 0, 0, 0, 0, 0, 1)"
    " ON CONFLICT (product_id, location_id) DO NOTHING"
)
_HOLD_SHORT = (
    "UPDATE stock_levels SET reserved = reserved + :held, backordered = backordered + :short,"
    " version = version + 1 WHERE product_id = :product_id AND location_id = :location_id"
)
_HELD_COLUMNS = ("reference", "product_id", "location_id", "quantity", "backordered", "created_at")
_REMEMBER = (
    "INSERT INTO reservations (reference, product_id, location_id, quantity, backordered, created_at)"
    " {values} ON CONFLICT (reference, product_id, location_id) DO UPDATE SET"
    " quantity = reservations.quantity + excluded.quantity,"
    " backordered = reservations.backordered + excluded.backordered"
)
_HELD = (
    "SELECT product_id, location_id, quantity, backordered FROM reservations"
    " WHERE reference = :reference ORDER BY product_id, location_id"
)
_GIVE_BACK = (
    "UPDATE stock_levels SET reserved = reserved - :quantity, backordered = backordered - :backordered,"
    " version = version + 1 WHERE product_id = :product_id AND location_id = :location_id"
)
_SELL = (
    "UPDATE stock_levels SET on_hand = on_hand - :quantity, reserved = reserved - :quantity,"
    " version = version + 1 WHERE product_id = :product_id AND location_id = :location_id"
)
_MOVEMENT = (
    "INSERT INTO stock_movements (product_id, location_id, kind, quantity, reason, reference, actor_id, at)"
    " VALUES (:product_id, :location_id, :kind, :quantity, :reason, :reference, :actor_id, :at)"
)
_ADD_ON_HAND = (
    "UPDATE stock_levels SET on_hand = on_hand + :delta, version = version + 1"
    " WHERE product_id = :product_id AND location_id = :location_id AND on_hand + :delta >= reserved"
    " RETURNING backordered"
)
_FIGURES = (
    "SELECT on_hand, reserved FROM stock_levels WHERE product_id = :product_id AND location_id = :location_id"
)
_WAITING = (
    "SELECT id, backordered FROM reservations"
    " WHERE product_id = :product_id AND location_id = :location_id AND backordered > 0"
    " ORDER BY created_at, id"
)
_FILL = (
    "UPDATE reservations SET quantity = quantity + :filled, backordered = backordered - :filled"
    " WHERE id = :id"
)
_FILL_LEVEL = (
    "UPDATE stock_levels SET reserved = reserved + :filled, backordered = backordered - :filled"
    " WHERE product_id = :product_id AND location_id = :location_id"
)
_HELD_HERE = (
    "SELECT quantity FROM reservations"
    " WHERE reference = :reference AND product_id = :product_id AND location_id = :location_id"
)
_NOT_THERE = (
    "UPDATE stock_levels SET on_hand = on_hand - :missing, reserved = reserved - :missing,"
    " backordered = backordered + :missing, version = version + 1"
    " WHERE product_id = :product_id AND location_id = :location_id"
)
_OWED = (
    "UPDATE reservations SET quantity = quantity - :missing, backordered = backordered + :missing"
    " WHERE reference = :reference AND product_id = :product_id AND location_id = :location_id"
)
_FORGET = "DELETE FROM reservations WHERE reference = :reference"
_FORGET_HELD = _FORGET + " RETURNING product_id, location_id, quantity, backordered"


@dataclass(frozen=True)
class Change:
    """A signed change of on-hand stock at one location, and what the ledger says of it."""

    product_id: int
    location_id: int
    delta: int
    kind: MovementKind
    reason: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Held:
    """What one line of a new reservation got: units held, and units promised without stock."""

    product_id: int
    quantity: int
    backordered: int


@dataclass(frozen=True, order=True)
class Hold:
    """Units held for a reference at one location, as they were when given back or sold."""

    product_id: int
    location_id: int
    quantity: int
    backordered: int


def _backorder_allowed(tx: Tx, product_ids: list[int]) -> dict[int, bool]:
    """Whether each product may go short; raises if one is unknown or archived."""
    found, unknown = {}, []
    for product_id in product_ids:  # one lookup each: cheaper in SQLite than an IN list
        terms = backorder_terms(tx, product_id)
        if terms is None:
            unknown.append(product_id)
        else:
            found[product_id] = terms
    if unknown:
        raise StockError("unknown_product", product_ids=unknown)
    return found


def ensure_level(tx: Tx, product_id: int, location_id: int) -> None:
    """The level's row, made with zeros if the product never had stock here."""
    tx.execute(_ENSURE_LEVEL, {"product_id": product_id, "location_id": location_id})


def record_movement(tx: Tx, change: Change, actor_id: int | None) -> None:
    """The ledger row of a change of on-hand stock: the movements of a level add up to its on-hand."""
    level = {"product_id": change.product_id, "location_id": change.location_id}
    what = {"kind": change.kind.value, "quantity": change.delta, "reason": change.reason}
    tx.execute(
        _MOVEMENT, {**level, **what, "reference": change.reference, "actor_id": actor_id, "at": tx.now()}
    )


def _free(tx: Tx, product_id: int, location_id: int, *, lock: bool = False) -> int:
    sql = _FREE + tx.for_update if lock else _FREE
    row = tx.execute(sql, {"product_id": product_id, "location_id": location_id}).fetchall()
    return int(row[0][0]) if row else 0


def _hold_with_backorder(tx: Tx, line: Line, location_id: int) -> Held:
    level = {"product_id": line.product_id, "location_id": location_id}
    ensure_level(tx, line.product_id, location_id)
    held = min(line.quantity, _free(tx, line.product_id, location_id, lock=True))
    tx.execute(_HOLD_SHORT, {**level, "held": held, "short": line.quantity - held})
    return Held(line.product_id, held, line.quantity - held)


def reserve(
    tx: Tx, reference: str, lines: list[Line], location_id: int, backorder: Mapping[int, bool] | None = None
) -> list[Held]:
    """Hold every line at the location, or raise InsufficientStock naming each short line.
    ``backorder`` (product id → may go short), when the caller has just read its products for
    sale in this transaction, spares reading them again."""
    merged = merge_lines(lines)
    if backorder is None:
        backorder = _backorder_allowed(tx, [line.product_id for line in merged])
    held: list[Held] = []
    shortages: list[Shortage] = []
    for line in merged:
        level = {"product_id": line.product_id, "location_id": location_id}
        if backorder[line.product_id]:
            held.append(_hold_with_backorder(tx, line, location_id))
        elif tx.execute(_HOLD, {**level, "quantity": line.quantity}).rowcount == 1:
            held.append(Held(line.product_id, line.quantity, 0))
        else:
            free = _free(tx, line.product_id, location_id)
            shortages.append(Shortage(line.product_id, line.quantity, max(free, 0)))
    if shortages:
        raise InsufficientStock(shortages)  # the caller's transaction rolls back what was held
    if held:  # one statement for every line (merged: no two rows meet the same conflict)
        now = tx.now()
        rows = [
            {
                "reference": reference,
                "product_id": item.product_id,
                "location_id": location_id,
                "quantity": item.quantity,
                "backordered": item.backordered,
                "created_at": now,
            }
            for item in held
        ]
        values, params = values_rows(_HELD_COLUMNS, rows)
        tx.execute(_REMEMBER.format(values=values), params)
    for item in held:
        touch(tx.info, item.product_id, location_id)
    return held


def _holds(tx: Tx, reference: str) -> list[Hold]:
    rows = tx.execute(_HELD + tx.for_update, {"reference": reference}).fetchall()
    return [Hold(*row) for row in rows]


def _level(hold: Hold) -> dict[str, int]:
    return {"product_id": hold.product_id, "location_id": hold.location_id}


def release(tx: Tx, reference: str) -> list[Hold]:
    """Give back everything held for ``reference`` (rejection, cancellation, a changed order)."""
    holds = sorted(Hold(*row) for row in tx.execute(_FORGET_HELD, {"reference": reference}).fetchall())
    for hold in holds:  # in product order, as every writer locks levels
        tx.execute(_GIVE_BACK, {**_level(hold), "quantity": hold.quantity, "backordered": hold.backordered})
        touch(tx.info, hold.product_id, hold.location_id)
    return holds


def consume(tx: Tx, reference: str, actor_id: int | None) -> list[Hold]:
    """Goods leave: the reservation becomes a sale movement. Backordered units must arrive first."""
    holds = _holds(tx, reference)
    if not holds:
        raise StockError("nothing_reserved", reference=reference)
    waiting = [hold.product_id for hold in holds if hold.backordered]
    if waiting:
        raise StockError("backordered_not_received", product_ids=waiting)
    for hold in holds:
        tx.execute(_SELL, {**_level(hold), "quantity": hold.quantity})
        sale = Change(
            hold.product_id, hold.location_id, -hold.quantity, MovementKind.SALE, reference=reference
        )
        record_movement(tx, sale, actor_id)
        touch(tx.info, hold.product_id, hold.location_id)
    tx.execute(_FORGET, {"reference": reference})
    return holds


def change_on_hand(tx: Tx, change: Change, actor_id: int | None) -> None:
    """Add ``delta`` (may be negative) to on-hand stock; never below zero or below what is reserved.
    Arriving stock goes first to the units promised without stock."""
    level = {"product_id": change.product_id, "location_id": change.location_id}
    if change.delta > 0:
        ensure_level(tx, change.product_id, change.location_id)
    changed = tx.execute(_ADD_ON_HAND, {**level, "delta": change.delta}).fetchall()
    if not changed:
        figures = tx.execute(_FIGURES, level).fetchall()
        on_hand, reserved = figures[0] if figures else (0, 0)
        raise StockError("below_reserved", product_id=change.product_id, on_hand=on_hand, reserved=reserved)
    record_movement(tx, change, actor_id)
    touch(tx.info, change.product_id, change.location_id)
    if change.delta > 0 and changed[0][0]:
        _fill_backorders(tx, change.product_id, change.location_id)


def _fill_backorders(tx: Tx, product_id: int, location_id: int) -> None:
    """Oldest promise first, as far as the free stock goes."""
    level = {"product_id": product_id, "location_id": location_id}
    for reservation_id, backordered in tx.execute(_WAITING + tx.for_update, level).fetchall():
        filled = min(_free(tx, product_id, location_id), backordered)
        if filled <= 0:
            return
        tx.execute(_FILL, {"id": reservation_id, "filled": filled})
        tx.execute(_FILL_LEVEL, {**level, "filled": filled})


def record_shortfall(
    tx: Tx,
    reference: str,
    *,
    product_id: int,
    location_id: int,
    missing: int,
    actor_id: int | None,
    reason: str,
) -> int:
    """The shelf holds ``missing`` fewer units than are held for ``reference``: those units are not
    there. On-hand and the reservation both drop by them (a ``discrepancy`` on the ledger, which
    still sums to on-hand), and the reference is owed them as a backorder, so the next goods to
    arrive go to it first and it cannot be sold before they do. Returns the units corrected (at
    most what the reference held from stock)."""
    level = {"product_id": product_id, "location_id": location_id}
    rows = tx.execute(_HELD_HERE + tx.for_update, {**level, "reference": reference}).fetchall()
    corrected = min(missing, int(rows[0][0])) if rows else 0
    if corrected <= 0:
        return 0
    tx.execute(_NOT_THERE, {**level, "missing": corrected})
    tx.execute(_OWED, {**level, "reference": reference, "missing": corrected})
    change = Change(product_id, location_id, -corrected, MovementKind.DISCREPANCY, reason, reference)
    record_movement(tx, change, actor_id)
    touch(tx.info, product_id, location_id)
    return corrected
