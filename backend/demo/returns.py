"""Demo returns and shared documents: on the most recent delivered or collected demo orders
(invoiced and paid by card first, where they are not yet), one return in each status, and links to
their invoices and packing slips, some opened by the customer from a phone a few times.

Each goes through the commands as the pages would. Running the demo again adds nothing once
there is a return.
"""

from __future__ import annotations

from sqlalchemy import func, select

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.documents import rules as document_rules
from backend.documents import service as documents
from backend.invoicing import payments
from backend.invoicing import service as invoicing
from backend.invoicing.models import Invoice
from backend.invoicing.payments import PaymentInput
from backend.kernel.db import Database
from backend.orders.models import Order, OrderLine
from backend.orders.rules import Actor, OrderStatus
from backend.returns import service as returns
from backend.returns.models import Return
from backend.returns.rules import Condition, Reason, ReturnStatus
from backend.returns.service import Inspection, RefundInput, ReturnRequest, WantedLine

# The status each demo return is left in, with the reason its customer gave.
TARGETS = (
    (ReturnStatus.REQUESTED, Reason.DAMAGED),
    (ReturnStatus.APPROVED, Reason.WRONG_ITEM),
    (ReturnStatus.REFUSED, Reason.NO_LONGER_NEEDED),
    (ReturnStatus.RECEIVED, Reason.NOT_AS_DESCRIBED),
    (ReturnStatus.REFUNDED, Reason.DAMAGED),
    (ReturnStatus.REFUNDED, Reason.OTHER),
)
PHONE_OPENS = 3


async def _orders(db: Database, count: int) -> list[tuple[int, str, int]]:
    """(order id, first SKU, its units) of the newest done orders."""
    async with db.read() as session:
        rows = await session.execute(
            select(Order.id, func.min(OrderLine.sku), func.min(OrderLine.quantity))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.status.in_((OrderStatus.DELIVERED, OrderStatus.PICKED_UP)))
            .group_by(Order.id)
            .order_by(Order.id.desc())
            .limit(count)
        )
        return [(order_id, sku, units) for order_id, sku, units in rows.all()]


async def _invoiced(db: Database, owner: Actor, order_id: int) -> int:
    """The order's issued invoice, made, issued and paid now when it has none."""
    async with db.read() as session:
        found = await session.scalar(
            select(Invoice.id).where(
                Invoice.order_id == order_id, Invoice.kind == "invoice", Invoice.status != "draft"
            )
        )
        total = await session.scalar(select(Order.total_minor).where(Order.id == order_id))
    if found is not None:
        return found
    made = await db.run(invoicing.create_from_order, owner, order_id)
    await db.run(invoicing.issue_invoice, owner, made.id)
    await db.run(
        payments.record_payment, owner, PaymentInput("card", total or 0, order_id=order_id, reference="DEMO")
    )
    return made.id


async def _walk(db: Database, owner: Actor, return_id: int, sku: str, target: ReturnStatus) -> None:
    if target == ReturnStatus.REFUSED:
        await db.run(returns.refuse_return, owner, return_id, None, "Opened and used")
        return
    if target == ReturnStatus.REQUESTED:
        return
    await db.run(returns.approve_return, owner, return_id)
    if target == ReturnStatus.APPROVED:
        return
    condition = Condition.DAMAGED if target == ReturnStatus.RECEIVED else Condition.AS_NEW
    await db.run(returns.receive_return, owner, return_id, (Inspection(sku, condition),))
    if target == ReturnStatus.REFUNDED:
        await db.run(returns.refund_return, owner, return_id, RefundInput())


async def _share(db: Database, owner: Actor, order_id: int, invoice_id: int, opens: int) -> None:
    made = await db.run(documents.create_link, owner, "invoice", invoice_id, "the customer")
    hashed = document_rules.hash_token(made.token)
    for _ in range(opens):
        await db.run(documents.record_open, hashed, None, document_rules.Device.PHONE.value)
    await db.run(documents.create_link, owner, "packing_slip", order_id, "the carrier")


async def ensure_returns(db: Database, owner_id: int) -> int:
    """Add the demo returns and shared documents unless there is a return already; returns how
    many returns were made."""
    async with db.read() as session:
        if await session.scalar(select(Return.id).limit(1)) is not None:
            return 0
    owner = Actor(owner_id, ROLE_PERMISSIONS[Role.OWNER])
    orders = await _orders(db, len(TARGETS))
    for n, ((target, reason), (order_id, sku, _units)) in enumerate(zip(TARGETS, orders, strict=False)):
        invoice_id = await _invoiced(db, owner, order_id)
        asked = await db.run(
            returns.request_return, owner, ReturnRequest(order_id, (WantedLine(sku, 1, reason.value),))
        )
        await _walk(db, owner, asked.id, sku, target)
        await _share(db, owner, order_id, invoice_id, PHONE_OPENS if n % 2 == 0 else 0)
    return min(len(TARGETS), len(orders))
