"""The packing slip: what goes in the parcel, without prices, with the order number as a QR code so
a scan at the counter or the door finds the order. Read here, then drawn as a printable page (its
template) or a PDF (``slip_document``); the QR codes are made with segno (pure Python), as SVG for
pages and as squares drawn straight into the PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import segno
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.fulfilment.models import Fulfilment
from backend.inventory.models import Location
from backend.orders.models import Order
from backend.orders.queries import get_order


@dataclass(frozen=True)
class SlipLine:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class Slip:
    order_id: int
    number: str
    customer_name: str
    address: list[str]  # the address's lines, empty for a pickup
    fulfilment_mode: str
    location_name: str
    placed_at: datetime
    notes: str
    lines: list[SlipLine]
    parcels: int | None
    weight_g: int | None


async def slip_of(session: AsyncSession, order_id: int) -> Slip:
    """Raises the orders domain's ``OrderNotFound`` for an unknown order."""
    detail = await get_order(session, order_id)
    row = (
        await session.execute(
            select(Location.name, Fulfilment.parcels, Fulfilment.weight_g)
            .select_from(Order)
            .join(Location, Location.id == Order.location_id)
            .outerjoin(Fulfilment, Fulfilment.order_id == Order.id)
            .where(Order.id == order_id)
        )
    ).one()
    address = detail.address or {}
    parts = [str(address.get(key) or "") for key in ("line1", "postal_code", "city", "country")]
    lines = [SlipLine(line.sku, line.name, line.quantity) for line in detail.lines]
    summary = detail.summary
    return Slip(
        summary.id,
        summary.number,
        summary.customer_name,
        [part for part in (parts[0], f"{parts[1]} {parts[2]}".strip(), parts[3]) if part],
        summary.fulfilment_mode,
        row[0],
        summary.placed_at,
        detail.notes,
        lines,
        row[1],
        row[2],
    )


def qr_svg(text: str, scale: int = 4) -> str:
    """An inline SVG of the QR code, sized by the page (no style attribute: the CSP allows none)."""
    svg: str = segno.make(text, error="m").svg_inline(
        scale=scale, dark="#000", light="#fff", border=2, omitsize=True
    )
    return svg


def pickup_qr_text(number: str, code: str) -> str:
    """What the customer's QR code holds: the order and its code, read at the counter."""
    return f"{number}/{code}"


def slip_pdf(slip: Slip, when: str) -> bytes:
    """The slip as a PDF in the current language; ``when`` is the date as shown. fpdf2 is imported
    only here: it takes seconds to import on a busy machine, and every process would pay for it
    at start while few of them ever print a slip."""
    from backend.fulfilment.slip_document import draw

    return draw(slip, when)
