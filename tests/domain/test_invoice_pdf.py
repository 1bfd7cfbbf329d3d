"""The Factur-X PDF of an issued invoice: its XML passes the library's EN 16931 schema check, the
PDF opens, and its text holds the legal mentions, in French and in English."""

from __future__ import annotations

import io

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from backend.invoicing import pdf, service, views
from backend.invoicing.billing import BillingInput, save_billing
from backend.invoicing.service import CreditLine, CustomerInput, DraftInput, LineInput
from tests.domain.conftest import Floor

SELLER = BillingInput(
    legal_name="Comptoir Lyonnais SAS",
    address_line1="12 quai Saint-Vincent",
    postal_code="69001",
    city="Lyon",
    siren="732829320",
    siret="73282932000074",
    vat_number="FR44732829320",
    legal_form="SAS",
    capital_minor=1_000_000,
    payment_terms_days=30,
    iban="FR1420041010050500013M02606",
)
BUYER = CustomerInput(
    "ACME SARL", "1 rue de la Paix", "75002", "Paris", is_business=True, vat_number="FR40303265045"
)


async def issued_view(floor: Floor, billing: BillingInput = SELLER, lines: int = 3) -> views.InvoiceView:
    await floor.db.run(save_billing, floor.owner, billing, None)
    wanted = tuple(
        LineInput(n + 1, f"Article {n}", unit_price_minor=1234 + n, tax_rate_centi=(2000, 550)[n % 2])
        for n in range(lines)
    )
    made = await floor.db.run(service.create_draft, floor.owner, DraftInput(BUYER, wanted))
    await floor.db.run(service.issue_invoice, floor.owner, made.id)
    async with floor.db.read() as session:
        view = await views.invoice_view(session, made.id)
    assert view is not None
    return view


def text_of(document: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_facturx_pdf_is_valid_and_says_what_the_law_asks(floor: Floor, locale: str) -> None:
    view = await issued_view(floor)
    document = pdf.facturx_pdf(view, locale)
    filename, xml = facturx.get_xml_from_pdf(document, check_xsd=False)
    assert filename == "factur-x.xml"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    ns = pdf.NS
    assert tree.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=ns) == view.number
    assert tree.findtext(".//ram:GrandTotalAmount", namespaces=ns) == f"{view.total_minor / 100:.2f}"
    assert [
        e.text
        for e in tree.findall(
            ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount", ns
        )
    ] == [f"{rate.tax_minor / 100:.2f}" for rate in view.rates]
    text = text_of(document).replace("\u202f", " ").replace("\xa0", " ")
    for needed in (
        view.number,
        "Comptoir Lyonnais SAS",
        "732829320",
        "73282932000074",
        "FR44732829320",
        "ACME SARL",
        "FR40303265045",
        "1 rue de la Paix",
    ):
        assert needed in text
    words = {
        "fr": ("Date d’émission", "Échéance", "pénalités", "40,00 €", "Total TTC", "TVA 20.00 %"),
        "en": ("Issue date", "Due date", "penalties", "€40.00", "Total incl. tax", "VAT 20.00 %"),
    }[locale]
    for needed in words:
        assert needed in text, needed


async def test_franchise_mention_and_credit_note(floor: Floor) -> None:
    view = await issued_view(floor, BillingInput(legal_name="Petit Atelier", vat_exempt=True))
    text = text_of(pdf.facturx_pdf(view, "fr"))
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert view.tax_minor == 0
    note = await floor.db.run(service.credit_invoice, floor.owner, view.id, "Retour", (CreditLine(1, 1),))
    async with floor.db.read() as session:
        note_view = await views.invoice_view(session, note.id)
    assert note_view is not None
    _, xml = facturx.get_xml_from_pdf(pdf.facturx_pdf(note_view), check_xsd=True)
    tree = etree.fromstring(xml)
    assert tree.findtext(".//ram:TypeCode", namespaces=pdf.NS) == "381"
    assert (
        tree.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=pdf.NS)
        == view.number
    )


async def test_a_draft_has_no_facturx_form(floor: Floor) -> None:
    made = await floor.db.run(
        service.create_draft,
        floor.owner,
        DraftInput(BUYER, (LineInput(1, "x", unit_price_minor=1, tax_rate_centi=0),)),
    )
    async with floor.db.read() as session:
        view = await views.invoice_view(session, made.id)
    assert view is not None
    with pytest.raises(ValueError, match="issued"):
        pdf.facturx_pdf(view)
    assert "Draft" in text_of(pdf.render_pdf(view, "en"))


async def test_text_beyond_latin_is_drawn_with_the_wide_font(floor: Floor) -> None:
    """Invoices are drawn with the Latin cut of the font first; a name in Greek or Cyrillic makes
    the document drawn again with the wide one, so that its text is there and not blank boxes."""
    buyer = CustomerInput("ООО «Ромашка»", "ул. Ленина, 1", "620014", "Екатеринбург", country="RU")
    await floor.db.run(save_billing, floor.owner, BillingInput(legal_name="Ελληνική Εταιρεία"), None)
    made = await floor.db.run(
        service.create_draft,
        floor.owner,
        DraftInput(buyer, (LineInput(2, "Чай — thé vert", unit_price_minor=450, tax_rate_centi=550),)),
    )
    await floor.db.run(service.issue_invoice, floor.owner, made.id)
    async with floor.db.read() as session:
        view = await views.invoice_view(session, made.id)
    assert view is not None
    text = text_of(pdf.facturx_pdf(view, "fr"))
    for needed in ("ООО «Ромашка»", "Екатеринбург", "Ελληνική Εταιρεία", "Чай — thé vert", view.number):
        assert needed in text, needed
    latin = text_of(pdf.facturx_pdf(await issued_view(floor), "fr"))
    assert "Comptoir Lyonnais SAS" in latin


async def test_a_long_reason_wraps_and_is_all_there(floor: Floor) -> None:
    view = await issued_view(floor)
    reason = " ".join(f"mot{n}" for n in range(80))  # far wider than the page: several lines
    note = await floor.db.run(service.credit_invoice, floor.owner, view.id, reason)
    async with floor.db.read() as session:
        note_view = await views.invoice_view(session, note.id)
    assert note_view is not None
    text = text_of(pdf.facturx_pdf(note_view, "en"))
    words = text.split()
    start = words.index("mot0")
    assert words[start : start + 80] == reason.split()
    assert len([line for line in text.splitlines() if "mot" in line]) >= 3  # within the page


async def test_a_long_invoice_goes_on_over_pages(floor: Floor) -> None:
    view = await issued_view(floor, lines=120)
    reader = PdfReader(io.BytesIO(pdf.facturx_pdf(view, "fr")))
    assert len(reader.pages) >= 3
    last = reader.pages[-1].extract_text()
    assert "Article 119" in last
    assert "Total TTC" in last
