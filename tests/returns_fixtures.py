"""Builders for return and document tests: an order taken all the way to the customer, invoiced
and paid when asked."""

from __future__ import annotations

from dataclasses import dataclass

from backend.invoicing import payments
from backend.invoicing import service as invoicing
from backend.invoicing.payments import PaymentInput
from backend.kernel.db import Database
from backend.orders import service as orders
from backend.orders.drafts import OrderDraft
from backend.orders.rules import Actor, OrderStatus

TO_THE_DOOR = (
    OrderStatus.ACCEPTED,
    OrderStatus.PICKING,
    OrderStatus.PACKED,
    OrderStatus.OUT_FOR_DELIVERY,
    OrderStatus.DELIVERED,
)


@dataclass(frozen=True)
class Delivered:
    order_id: int
    number: str
    tracking_token: str
    total_minor: int
    invoice_id: int | None


async def delivered_order(
    db: Database, owner: Actor, draft: OrderDraft, *, invoiced: bool = True, paid: bool = True
) -> Delivered:
    """A delivery order placed, taken to the door and marked delivered; then (by default) invoiced,
    issued and paid in full by card."""
    placed = await orders.place_order(db, owner, draft)
    for status in TO_THE_DOOR:
        await orders.transition_order(db, owner, placed.id, status)
    invoice_id = None
    if invoiced:
        made = await db.run(invoicing.create_from_order, owner, placed.id)
        await db.run(invoicing.issue_invoice, owner, made.id)
        invoice_id = made.id
    if paid:
        wanted = PaymentInput("card", placed.total_minor, order_id=placed.id, reference="T-1")
        await db.run(payments.record_payment, owner, wanted)
    return Delivered(placed.id, placed.number, placed.tracking_token, placed.total_minor, invoice_id)
