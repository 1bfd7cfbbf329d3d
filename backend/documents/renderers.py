"""How each kind of document is drawn when its link is opened: one renderer per kind, each reading
what it needs and answering the file (or None when the document is gone).

Invoices and credit notes are the invoicing domain's Factur-X PDF; the proof of delivery and the
packing slip are drawn here from the delivery and fulfilment reads (a page with the drop-off's
time, recipient, photo and signature; the order's lines with what was picked and how it left).
Drawing a PDF is CPU work: it runs in a thread, off the event loop. The drawing libraries (fpdf,
factur-x) are imported on the first drawing, not when the app starts.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.delivery.reads import OrderProof, proofs_of_order
from backend.delivery.rules import StopStatus
from backend.documents.rules import Kind
from backend.fulfilment.board import FulfilmentView, fulfilment_of
from backend.i18n.translation import gettext
from backend.invoicing.views import invoice_view
from backend.kernel.settings import Settings
from backend.orders.models import Order
from backend.shop.models import ShopProfile


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    filename: str


Renderer = Callable[[AsyncSession, int, Settings], Awaitable[Rendered | None]]


async def _invoice(session: AsyncSession, subject_id: int, settings: Settings) -> Rendered | None:
    from backend.invoicing.pdf import facturx_pdf

    view = await invoice_view(session, subject_id)
    if view is None or view.number is None:
        return None
    content = await asyncio.to_thread(facturx_pdf, view)
    return Rendered(content, "application/pdf", f"{view.number}.pdf")


class _Sheet:
    """A plain A4 page in DejaVu (every language's letters), or the core font where it is absent."""

    def __init__(self) -> None:
        from fpdf import FPDF

        from backend.invoicing.pdf import FONT_DIR

        self.pdf = FPDF(format="A4")
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        self.face = "Helvetica"
        if regular.exists() and bold.exists():
            self.pdf.add_font("Body", "", str(regular))
            self.pdf.add_font("Body", "B", str(bold))
            self.face = "Body"
        self.pdf.add_page()

    def line_of(self, text: str, size: float = 10, bold: bool = False) -> None:
        if self.face == "Helvetica":
            text = text.encode("latin-1", "replace").decode("latin-1")
        self.pdf.set_font(self.face, "B" if bold else "", size)
        self.pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")

    def gap(self, height: float) -> None:
        self.pdf.ln(height)

    def picture(self, content: bytes, width: float) -> None:
        from PIL import Image, ImageOps

        image = Image.open(io.BytesIO(content))
        image.load()
        upright = ImageOps.exif_transpose(image)  # a phone's photo is kept with its orientation
        self.pdf.image(upright.convert("RGB"), w=width)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


async def _order(session: AsyncSession, order_id: int) -> tuple[Order, str] | None:
    order = await session.get(Order, order_id)
    shop = await session.scalar(select(ShopProfile.name))
    return (order, shop or "") if order is not None else None


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""


def _proof_pdf(shop: str, order: Order, proof: OrderProof, pictures: list[bytes]) -> bytes:
    sheet = _Sheet()
    sheet.line_of(shop, 10)
    sheet.line_of(f"{gettext('Proof of delivery')} · {order.number}", 16, bold=True)
    sheet.line_of(f"{gettext('Delivered')}: {_when(proof.done_at)}")
    if proof.recipient:
        sheet.line_of(f"{gettext('Received by')}: {proof.recipient}")
    address = ", ".join(
        part for part in (order.address_line1, order.address_postal_code, order.address_city) if part
    )
    if address:
        sheet.line_of(address)
    for picture in pictures:
        sheet.gap(4)
        sheet.picture(picture, 90)
    return sheet.output()


async def _proof(session: AsyncSession, subject_id: int, settings: Settings) -> Rendered | None:
    found = await _order(session, subject_id)
    delivered = [p for p in await proofs_of_order(session, subject_id) if p.status == StopStatus.DELIVERED]
    if found is None or not delivered:
        return None
    order, shop = found
    proof = delivered[-1]
    from backend.delivery import proofs

    directory: Path = settings.delivery_proof_dir
    pictures = []
    for digest in (proof.photo_hash, proof.signature_hash):
        stored = proofs.read(directory, digest) if digest else None
        if stored is not None:
            pictures.append(stored[0])
    content = await asyncio.to_thread(_proof_pdf, shop, order, proof, pictures)
    return Rendered(content, "application/pdf", f"{order.number}-proof.pdf")


def _slip_pdf(shop: str, order: Order, fulfilment: FulfilmentView) -> bytes:
    sheet = _Sheet()
    sheet.line_of(shop, 10)
    sheet.line_of(f"{gettext('Packing slip')} · {order.number}", 16, bold=True)
    sheet.line_of(order.customer_name, bold=True)
    address = ", ".join(
        part for part in (order.address_line1, order.address_postal_code, order.address_city) if part
    )
    if address:
        sheet.line_of(address)
    sheet.gap(3)
    for line in fulfilment.lines:
        packed = line.picked_quantity or line.quantity
        sheet.line_of(f"{packed} × {line.name} ({line.sku})")
        if line.short_quantity:
            sheet.line_of(f"   {gettext('To follow')}: {line.short_quantity}", 9)
    sheet.gap(3)
    if fulfilment.parcels:
        sheet.line_of(f"{gettext('Parcels')}: {fulfilment.parcels}")
    if fulfilment.carrier_name and fulfilment.tracking_number:
        sheet.line_of(f"{fulfilment.carrier_name} · {fulfilment.tracking_number}")
    return sheet.output()


async def _packing_slip(session: AsyncSession, subject_id: int, settings: Settings) -> Rendered | None:
    found = await _order(session, subject_id)
    if found is None:
        return None
    order, shop = found
    fulfilment = await fulfilment_of(session, subject_id)
    content = await asyncio.to_thread(_slip_pdf, shop, order, fulfilment)
    return Rendered(content, "application/pdf", f"{order.number}-packing-slip.pdf")


RENDERERS: Mapping[str, Renderer] = {
    Kind.INVOICE: _invoice,
    Kind.CREDIT_NOTE: _invoice,
    Kind.PACKING_SLIP: _packing_slip,
    Kind.PROOF_OF_DELIVERY: _proof,
}
