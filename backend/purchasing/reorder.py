"""Draft purchase orders for stock that fell below its reorder point.

Runs inside the transaction that lowered the stock (synchronous, ``backend.kernel.tx``), so a reorder can
never be lost or doubled by a concurrent sale: the draft line it extends is written with the same
commit.
"""

from __future__ import annotations

from backend.inventory.rules import reorder_quantity
from backend.inventory.settling import Low
from backend.kernel.events import record
from backend.kernel.numbering import next_number
from backend.kernel.tx import Tx
from backend.purchasing.events import ReorderDrafted
from backend.purchasing.rules import OPEN_STATUSES, PurchaseStatus

_OPEN = {f"open_{n}": status.value for n, status in enumerate(OPEN_STATUSES)}

_INCOMING = (
    "SELECT COALESCE(SUM(l.quantity_ordered - l.quantity_received), 0)"
    " FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.purchase_order_id"
    " WHERE l.product_id = :product_id AND o.location_id = :location_id"
    " AND o.status IN (:open_0, :open_1, :open_2)"
)
_DRAFT = (
    "SELECT id, number FROM purchase_orders"
    " WHERE supplier_id = :supplier_id AND location_id = :location_id AND status = :status"
    " ORDER BY id LIMIT 1"
)
_NEW_DRAFT = (
    "INSERT INTO purchase_orders (number, supplier_id, location_id, status, created_at, version)"
    " VALUES (:number, :supplier_id, :location_id, :status, :created_at, 1) RETURNING id"
)
_ADD_TO_LINE = (
    "UPDATE purchase_order_lines SET quantity_ordered = quantity_ordered + :quantity"
    " WHERE purchase_order_id = :order_id AND product_id = :product_id"
)
_NEW_LINE = (
    "INSERT INTO purchase_order_lines (purchase_order_id, product_id, quantity_ordered, quantity_received)"
    " VALUES (:order_id, :product_id, :quantity, 0)"
)
_BUMP_VERSION = "UPDATE purchase_orders SET version = version + 1 WHERE id = :order_id"


def _draft_for(tx: Tx, supplier_id: int, location_id: int) -> tuple[int, str]:
    where = {"supplier_id": supplier_id, "location_id": location_id, "status": PurchaseStatus.DRAFT.value}
    found = tx.execute(_DRAFT + tx.for_update, where).fetchall()
    if found:
        return found[0][0], found[0][1]
    number = next_number(tx, "PO")
    created = tx.execute(_NEW_DRAFT, {**where, "number": number, "created_at": tx.now()}).fetchall()
    return created[0][0], number


def draft_reorder(tx: Tx, level: Low, actor_id: int | None) -> None:
    """Add what is missing to the supplier's draft order for the location, if anything is."""
    key = {"product_id": level.product_id, "location_id": level.location_id}
    incoming = int(tx.execute(_INCOMING, {**key, **_OPEN}).fetchall()[0][0])
    quantity = reorder_quantity(level.free, incoming, level.point, level.quantity)
    if quantity == 0:
        return
    order_id, number = _draft_for(tx, level.supplier_id, level.location_id)
    line = {"order_id": order_id, "product_id": level.product_id, "quantity": quantity}
    if tx.execute(_ADD_TO_LINE, line).rowcount == 0:
        tx.execute(_NEW_LINE, line)
    tx.execute(_BUMP_VERSION, {"order_id": order_id})
    drafted = ReorderDrafted(
        number=number, product_id=level.product_id, location_id=level.location_id, quantity=quantity
    )
    record(tx, drafted, f"purchase_order:{order_id}", actor_id)
