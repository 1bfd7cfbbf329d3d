"""The invoice's PDF and legal mentions for the handlers. The PDF libraries (fpdf2, factur-x and
pypdf) take seconds to import on a busy machine: they are imported on the first PDF or invoice
page, not when the app starts (in each process, and in the SQLite writer's)."""

from __future__ import annotations

from backend.invoicing.views import InvoiceView


def pdf_of(view: InvoiceView) -> bytes:
    """An issued invoice's Factur-X PDF; a draft's plain preview, marked as such."""
    from backend.invoicing import pdf  # see the module's docstring

    return pdf.render_pdf(view) if view.number is None else pdf.facturx_pdf(view)


def mentions_of(view: InvoiceView) -> list[str]:
    from backend.invoicing import pdf  # see the module's docstring

    return pdf.legal_mentions(view, view.locale) if view.number else []
