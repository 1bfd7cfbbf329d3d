"""The packing slip drawn as a PDF with fpdf2 (pure Python; fonts embedded when the machine has
DejaVu), its QR code drawn as squares. Imported only when a slip is printed (``slips.slip_pdf``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import segno
from fpdf import FPDF

from backend.fulfilment.slips import Slip
from backend.i18n.translation import gettext

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@cache
def _fonts() -> tuple[Path, Path] | None:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    return (regular, bold) if regular.exists() and bold.exists() else None


class _Sheet(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_auto_page_break(auto=True, margin=15)
        fonts = _fonts()
        self.family = "Body" if fonts else "Helvetica"
        if fonts:
            self.add_font("Body", "", str(fonts[0]))
            self.add_font("Body", "B", str(fonts[1]))

    def say(self, text: str, size: float = 10, bold: bool = False, height: float = 5) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, height, self.safe(text), new_x="LMARGIN", new_y="NEXT")

    def safe(self, text: str) -> str:
        if self.family == "Body":
            return text
        return text.replace("\u202f", " ").encode("latin-1", "replace").decode("latin-1")

    def qr(self, text: str, x: float, y: float, size: float) -> None:
        matrix = [list(row) for row in segno.make(text, error="m").matrix]
        cell = size / len(matrix)
        self.set_fill_color(0, 0, 0)
        for row_index, row in enumerate(matrix):
            for col_index, dark in enumerate(row):
                if dark:
                    self.rect(x + col_index * cell, y + row_index * cell, cell, cell, style="F")


def draw(slip: Slip, when: str) -> bytes:
    """The slip as a PDF in the current language; ``when`` is the date as shown."""
    sheet = _Sheet()
    sheet.add_page()
    sheet.qr(slip.number, 160, 12, 36)
    sheet.say(gettext("Packing slip"), 18, bold=True, height=9)
    sheet.say(f"{gettext('Order')} {slip.number}", 14, bold=True, height=8)
    sheet.say(f"{gettext('Placed')}: {when}")
    sheet.say(f"{gettext('From')}: {slip.location_name}")
    sheet.ln(4)
    sheet.say(slip.customer_name, 12, bold=True)
    for part in slip.address:
        sheet.say(part)
    sheet.ln(6)
    sheet.set_y(max(sheet.get_y(), 52))
    sheet.set_font(sheet.family, "B", 10)
    sheet.cell(30, 7, gettext("SKU"), border="B")
    sheet.cell(130, 7, gettext("Product"), border="B")
    sheet.cell(20, 7, gettext("Qty"), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    sheet.set_font(sheet.family, "", 10)
    for line in slip.lines:
        sheet.cell(30, 7, sheet.safe(line.sku))
        sheet.cell(130, 7, sheet.safe(line.name[:70]))
        sheet.cell(20, 7, str(line.quantity), align="R", new_x="LMARGIN", new_y="NEXT")
    sheet.ln(4)
    if slip.parcels:
        sheet.say(f"{gettext('Parcels')}: {slip.parcels} · {gettext('Weight')}: {slip.weight_g} g")
    if slip.notes:
        sheet.say(f"{gettext('Notes')}: {slip.notes}")
    return bytes(sheet.output())
