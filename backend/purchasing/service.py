"""Purchase orders: draft by hand, edit lines, send, cancel, and receive goods into stock.

Every command is one transaction that first claims the order at the version the person saw (a
conditional UPDATE, which also locks the row), so two phones cannot both receive the same line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.catalog.models import Product
from backend.inventory import service as stock
from backend.inventory.models import Location
from backend.inventory.rules import MovementKind, quantity_problem
from backend.kernel.db import Database
from backend.kernel.events import record
from backend.kernel.numbering import next_number
from backend.kernel.tx import Tx
from backend.purchasing import rules
from backend.purchasing.events import (
    PurchaseCancelled,
    PurchaseCreated,
    PurchaseLineAdded,
    PurchaseLineRemoved,
    PurchaseReceived,
    PurchaseSent,
    Received,
)
from backend.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from backend.purchasing.reorder import draft_reorder
from backend.purchasing.rules import OPEN_STATUSES, RECEIVABLE, PurchaseStatus


class PurchaseRejected(Exception):
    """``problems``: field (or line id) → code; a code in ``rules.STATE_PROBLEMS`` is a conflict."""

    def __init__(self, problems: dict[str, str], **details: str) -> None:
        super().__init__(problems)
        self.problems = problems
        self.details = details

    @property
    def is_conflict(self) -> bool:
        return any(code in rules.STATE_PROBLEMS for code in self.problems.values())


class PurchaseNotFound(Exception):
    pass


@dataclass(frozen=True)
class LineView:
    id: int
    product_id: int
    sku: str
    name: str
    ordered: int
    received: int

    @property
    def outstanding(self) -> int:
        return self.ordered - self.received


@dataclass(frozen=True)
class OrderView:
    id: int
    number: str
    status: PurchaseStatus
    supplier_name: str
    location_name: str
    created_at: datetime
    version: int
    lines: list[LineView]

    @property
    def lines_editable(self) -> bool:
        return rules.can_edit_lines(self.status)

    @property
    def receivable(self) -> bool:
        return self.status in RECEIVABLE

    def can_become(self, target: PurchaseStatus) -> bool:
        return rules.can_move(self.status, target)


@dataclass(frozen=True)
class OrderSummary:
    id: int
    number: str
    status: PurchaseStatus
    supplier_name: str
    location_name: str
    created_at: datetime
    outstanding: int


@dataclass(frozen=True)
class Receipt:
    line_id: int
    quantity: int


# -- reading ---------------------------------------------------------------------------------------


async def list_orders(session: AsyncSession, limit: int = 100) -> list[OrderSummary]:
    """Open orders first (newest first), then the finished ones."""
    outstanding = func.coalesce(
        func.sum(PurchaseOrderLine.quantity_ordered - PurchaseOrderLine.quantity_received), 0
    )
    is_open = case((PurchaseOrder.status.in_(OPEN_STATUSES), 0), else_=1)
    rows = await session.execute(
        select(
            PurchaseOrder.id,
            PurchaseOrder.number,
            PurchaseOrder.status,
            Supplier.name,
            Location.name,
            PurchaseOrder.created_at,
            outstanding,
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Location, Location.id == PurchaseOrder.location_id)
        .outerjoin(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .group_by(PurchaseOrder.id, Supplier.name, Location.name)
        .order_by(is_open, PurchaseOrder.id.desc())
        .limit(limit)
    )
    return [OrderSummary(*row[:2], PurchaseStatus(row[2]), *row[3:]) for row in rows]


async def get_order(session: AsyncSession, order_id: int) -> OrderView:
    row = (
        await session.execute(
            select(PurchaseOrder, Supplier.name, Location.name)
            .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
            .join(Location, Location.id == PurchaseOrder.location_id)
            .where(PurchaseOrder.id == order_id)
        )
    ).first()
    if row is None:
        raise PurchaseNotFound(order_id)
    order, supplier_name, location_name = row
    lines = await session.execute(
        select(
            PurchaseOrderLine.id,
            Product.id,
            Product.sku,
            Product.name,
            PurchaseOrderLine.quantity_ordered,
            PurchaseOrderLine.quantity_received,
        )
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .where(PurchaseOrderLine.purchase_order_id == order_id)
        .order_by(Product.name, PurchaseOrderLine.id)
    )
    return OrderView(
        order.id,
        order.number,
        PurchaseStatus(order.status),
        supplier_name,
        location_name,
        order.created_at,
        order.version,
        [LineView(*line) for line in lines],
    )


# -- commands --------------------------------------------------------------------------------------


async def create_order(db: Database, actor_id: int | None, supplier_id: int, location_id: int) -> int:
    return await db.run(_create, actor_id, supplier_id, location_id)


def _create(tx: Tx, actor_id: int | None, supplier_id: int, location_id: int) -> int:
    session = tx.session
    problems = {}
    if session.get(Supplier, supplier_id) is None:
        problems["supplier"] = "unknown_supplier"
    if session.get(Location, location_id) is None:
        problems["location"] = "unknown_location"
    if problems:
        raise PurchaseRejected(problems)
    number = next_number(tx, "PO")
    order = PurchaseOrder(
        number=number, supplier_id=supplier_id, location_id=location_id, status=PurchaseStatus.DRAFT
    )
    session.add(order)
    session.flush()
    record(tx, PurchaseCreated(number=number), f"purchase_order:{order.id}", actor_id)
    return order.id


def _claim(session: Session, order_id: int, expected_version: int) -> PurchaseOrder:
    """The order at the version the person saw, locked until the transaction ends."""
    result = session.execute(
        update(PurchaseOrder)
        .where(PurchaseOrder.id == order_id, PurchaseOrder.version == expected_version)
        .values(version=PurchaseOrder.version + 1)
        .returning(PurchaseOrder)
    )
    order = result.scalar_one_or_none()
    if order is not None:
        return order
    if session.get(PurchaseOrder, order_id) is None:
        raise PurchaseNotFound(order_id)
    raise PurchaseRejected({"version": "version_conflict"})


def _require_lines_editable(order: PurchaseOrder) -> None:
    if not rules.can_edit_lines(PurchaseStatus(order.status)):
        raise PurchaseRejected({"status": "not_draft"})


@dataclass(frozen=True)
class _Claim:
    """Who changes which order, at the version they saw."""

    actor_id: int | None
    order_id: int
    expected_version: int


async def add_line(
    db: Database,
    actor_id: int | None,
    order_id: int,
    expected_version: int,
    *,
    product_id: int,
    quantity: int,
) -> None:
    """Order more of a product; a product already on the order gets its quantity raised."""
    if problem := quantity_problem(quantity):
        raise PurchaseRejected({"quantity": problem})
    await db.run(_add_line, _Claim(actor_id, order_id, expected_version), product_id, quantity)


def _add_line(tx: Tx, claim: _Claim, product_id: int, quantity: int) -> None:
    session = tx.session
    order = _claim(session, claim.order_id, claim.expected_version)
    _require_lines_editable(order)
    sku = session.scalar(select(Product.sku).where(Product.id == product_id))
    if sku is None:
        raise PurchaseRejected({"product": "unknown_product"})
    line = session.scalar(
        select(PurchaseOrderLine).where(
            PurchaseOrderLine.purchase_order_id == claim.order_id, PurchaseOrderLine.product_id == product_id
        )
    )
    if line is None:
        line = PurchaseOrderLine(purchase_order_id=claim.order_id, product_id=product_id, quantity_ordered=0)
        session.add(line)
    if problem := quantity_problem(line.quantity_ordered + quantity):
        raise PurchaseRejected({"quantity": problem})
    line.quantity_ordered += quantity
    session.flush()
    added = PurchaseLineAdded(number=order.number, product_id=product_id, sku=sku, quantity=quantity)
    record(tx, added, f"purchase_order:{claim.order_id}", claim.actor_id)


async def remove_line(
    db: Database, actor_id: int | None, order_id: int, expected_version: int, line_id: int
) -> None:
    await db.run(_remove_line, _Claim(actor_id, order_id, expected_version), line_id)


def _remove_line(tx: Tx, claim: _Claim, line_id: int) -> None:
    session = tx.session
    order = _claim(session, claim.order_id, claim.expected_version)
    _require_lines_editable(order)
    sku = session.scalar(
        select(Product.sku)
        .join(PurchaseOrderLine, PurchaseOrderLine.product_id == Product.id)
        .where(PurchaseOrderLine.id == line_id, PurchaseOrderLine.purchase_order_id == claim.order_id)
    )
    if sku is None:
        raise PurchaseRejected({"line": "unknown_line"})
    session.execute(delete(PurchaseOrderLine).where(PurchaseOrderLine.id == line_id))
    removed = PurchaseLineRemoved(number=order.number, sku=sku)
    record(tx, removed, f"purchase_order:{claim.order_id}", claim.actor_id)


def _move(order: PurchaseOrder, target: PurchaseStatus) -> None:
    current = PurchaseStatus(order.status)
    if not rules.can_move(current, target):
        raise PurchaseRejected({"status": "illegal_transition"}, current=current.value, target=target.value)
    order.status = target


async def send_order(db: Database, actor_id: int | None, order_id: int, expected_version: int) -> None:
    await db.run(_send, _Claim(actor_id, order_id, expected_version))


def _send(tx: Tx, claim: _Claim) -> None:
    session = tx.session
    order = _claim(session, claim.order_id, claim.expected_version)
    _move(order, PurchaseStatus.SENT)
    lines = session.scalar(select(func.count()).where(PurchaseOrderLine.purchase_order_id == claim.order_id))
    if not lines:
        raise PurchaseRejected({"status": "no_lines"})
    session.flush()
    record(tx, PurchaseSent(number=order.number), f"purchase_order:{claim.order_id}", claim.actor_id)


async def cancel_order(db: Database, actor_id: int | None, order_id: int, expected_version: int) -> None:
    await db.run(_cancel, _Claim(actor_id, order_id, expected_version))


def _cancel(tx: Tx, claim: _Claim) -> None:
    order = _claim(tx.session, claim.order_id, claim.expected_version)
    _move(order, PurchaseStatus.CANCELLED)
    tx.session.flush()
    record(tx, PurchaseCancelled(number=order.number), f"purchase_order:{claim.order_id}", claim.actor_id)


async def receive(
    db: Database, actor_id: int | None, order_id: int, expected_version: int, receipts: list[Receipt]
) -> PurchaseStatus:
    """Goods arrived: each line's quantity goes into stock at the order's location as a receipt
    movement (which fills backorders first), and the order becomes partly or fully received."""
    if not receipts:
        raise PurchaseRejected({"lines": "nothing_received"})
    return await db.run(_receive, _Claim(actor_id, order_id, expected_version), receipts)


def _receive(tx: Tx, claim: _Claim, receipts: list[Receipt]) -> PurchaseStatus:
    session = tx.session
    order = _claim(session, claim.order_id, claim.expected_version)
    if PurchaseStatus(order.status) not in RECEIVABLE:
        raise PurchaseRejected({"status": "not_receivable"})
    lines = {line.id: line for line in _lines(session, claim.order_id)}
    outstanding = {line.id: line.quantity_ordered - line.quantity_received for line in lines.values()}
    received = {receipt.line_id: receipt.quantity for receipt in receipts}
    if problems := rules.receipt_problems(outstanding, received):
        raise PurchaseRejected({str(line_id): code for line_id, code in problems.items()})
    for line in sorted((lines[line_id] for line_id in received), key=lambda line: line.product_id):
        line.quantity_received += received[line.id]
        change = stock.Change(
            line.product_id,
            order.location_id,
            received[line.id],
            MovementKind.RECEIPT,
            reason=order.number,  # what people read in the ledger; the reference is for links
            reference=f"purchase_order:{claim.order_id}",
        )
        stock.change_on_hand(tx, change, claim.actor_id)
    totals = [(line.quantity_ordered, line.quantity_received) for line in lines.values()]
    after = rules.status_after_receiving(totals)
    if after != order.status:  # a second partial delivery leaves the order partly received
        _move(order, after)
    session.flush()
    got = tuple(Received(product_id=lines[key].product_id, quantity=qty) for key, qty in received.items())
    event = PurchaseReceived(number=order.number, status=order.status, lines=got)
    record(tx, event, f"purchase_order:{claim.order_id}", claim.actor_id)
    stock.settle(tx, claim.actor_id, draft_reorder)
    return PurchaseStatus(order.status)


def _lines(session: Session, order_id: int) -> list[PurchaseOrderLine]:
    rows = session.scalars(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.purchase_order_id == order_id)
        .order_by(PurchaseOrderLine.product_id)
        .with_for_update()
    )
    return list(rows)
