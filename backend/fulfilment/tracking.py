"""What the customer is shown of the hand-over, on the order's confirmation and tracking pages:
the pickup code and its QR code while the order waits at the counter, or the carrier's link once
the parcel is shipped. One read, for the storefront to call with the order it shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.fulfilment import rules
from backend.fulfilment.board import fulfilment_of, pickup_code_of
from backend.fulfilment.slips import pickup_qr_text, qr_svg
from backend.orders.models import Order
from backend.orders.rules import OrderStatus


@dataclass(frozen=True)
class HandOver:
    number: str
    pickup_code: str | None = None  # while ready for pickup
    pickup_qr: str | None = None  # an inline SVG of the order and its code
    carrier_name: str | None = None  # once shipped
    tracking_number: str | None = None
    tracking_url: str | None = None  # the carrier's page, when it has one

    @property
    def pickup_code_shown(self) -> str:
        """ "123 456": easier to read out at the counter."""
        code = self.pickup_code or ""
        return f"{code[:3]}\u00a0{code[3:]}" if code else ""


async def hand_over_for_customer(session: AsyncSession, secret_key: str, order_id: int) -> HandOver | None:
    """None when there is nothing to show yet (or the order is unknown)."""
    found = (await session.execute(select(Order.number, Order.status).where(Order.id == order_id))).first()
    if found is None:
        return None
    number, status = found
    if status == OrderStatus.READY_FOR_PICKUP:
        code = await pickup_code_of(session, rules.pickup_key(secret_key), order_id)
        if code is None:
            return None
        return HandOver(number, code, qr_svg(pickup_qr_text(number, code)))
    if status in {OrderStatus.SHIPPED, OrderStatus.DELIVERED}:
        view = await fulfilment_of(session, order_id)
        if view.tracking_number:
            return HandOver(
                number,
                carrier_name=view.carrier_name,
                tracking_number=view.tracking_number,
                tracking_url=view.tracking_url,
            )
    return None
