"""The invoice as a Factur-X PDF (EN 16931 profile): a PDF drawn with fpdf2 (pure Python), with
the Cross Industry Invoice XML made here embedded by the ``factur-x`` library, which also makes
the file PDF/A-3 and checks the XML against the Factur-X schema.

Amounts in the XML are exact: a line's net price is given for the line's whole quantity
(``BasisQuantity``), so the line's net amount is never re-rounded, and each rate's tax is the one
computed on the rate's base (``rules.compute_totals``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import facturx
from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from lxml import etree

from backend.i18n.translation import N_, translations
from backend.invoicing import rules
from backend.invoicing.views import InvoiceView
from backend.kernel.money import format_money, minor_digits

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core: PDF/A embeds fonts
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
EXEMPTION = N_("VAT not applicable, art. 293 B of the French tax code (CGI)")
FRENCH_EXEMPTION = "TVA non applicable, art. 293 B du CGI"


# -- The XML --------------------------------------------------------------------------------------


def _amount(minor: int, currency: str) -> str:
    return str(Decimal(minor).scaleb(-minor_digits(currency)))


def _percent(rate_centi: int) -> str:
    return str(Decimal(rate_centi).scaleb(-2))


def _category(rate_centi: int, exempt: bool) -> str:
    if exempt:
        return "E"  # exempt: art. 293 B
    return "S" if rate_centi else "Z"


class _Builder:
    def __init__(self, root: etree._Element) -> None:
        self.root = root

    @staticmethod
    def add(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        prefix, _, name = tag.partition(":")
        element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrs)
        if text is not None:
            element.text = text
        return element


def _date(builder: _Builder, parent: etree._Element, tag: str, when: date) -> None:
    holder = builder.add(parent, tag)
    builder.add(holder, "udt:DateTimeString", when.strftime("%Y%m%d"), format="102")


def _party(builder: _Builder, parent: etree._Element, tag: str, party: dict, *, seller: bool) -> None:
    node = builder.add(parent, tag)
    builder.add(
        node, "ram:Name", party.get("legal_name") or party.get("shop_name") or party.get("name") or "-"
    )
    if party.get("siren"):
        builder.add(
            builder.add(node, "ram:SpecifiedLegalOrganization"), "ram:ID", party["siren"], schemeID="0002"
        )
    address = builder.add(node, "ram:PostalTradeAddress")
    if party.get("postal_code"):
        builder.add(address, "ram:PostcodeCode", party["postal_code"])
    if party.get("address_line1"):
        builder.add(address, "ram:LineOne", party["address_line1"])
    if party.get("city"):
        builder.add(address, "ram:CityName", party["city"])
    builder.add(address, "ram:CountryID", (party.get("country") or "FR").upper())
    if party.get("vat_number"):
        builder.add(
            builder.add(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party["vat_number"], schemeID="VA"
        )
    elif seller and party.get("siret"):
        builder.add(
            builder.add(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party["siret"], schemeID="FC"
        )


def cii_xml(view: InvoiceView) -> bytes:
    """The invoice as Cross Industry Invoice XML, EN 16931 profile."""
    if view.number is None or view.issue_date is None:
        raise ValueError("only an issued invoice has a Factur-X form")
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    b = _Builder(root)
    money = view.currency
    exempt = bool(view.seller.get("vat_exempt"))
    context = b.add(root, "rsm:ExchangedDocumentContext")
    b.add(
        b.add(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", "urn:cen.eu:en16931:2017"
    )
    document = b.add(root, "rsm:ExchangedDocument")
    b.add(document, "ram:ID", view.number)
    b.add(document, "ram:TypeCode", "381" if view.kind == rules.Kind.CREDIT_NOTE else "380")
    _date(b, document, "ram:IssueDateTime", view.issue_date)
    for text, code in _notes(view):
        note = b.add(document, "ram:IncludedNote")
        b.add(note, "ram:Content", text)
        b.add(note, "ram:SubjectCode", code)
    trade = b.add(root, "rsm:SupplyChainTradeTransaction")
    for line in view.lines:
        item = b.add(trade, "ram:IncludedSupplyChainTradeLineItem")
        b.add(b.add(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.position))
        product = b.add(item, "ram:SpecifiedTradeProduct")
        if line.sku:
            b.add(product, "ram:SellerAssignedID", line.sku)
        b.add(product, "ram:Name", line.description)
        price = b.add(b.add(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        b.add(price, "ram:ChargeAmount", _amount(line.net_minor, money))
        b.add(price, "ram:BasisQuantity", str(line.quantity), unitCode="C62")
        b.add(
            b.add(item, "ram:SpecifiedLineTradeDelivery"),
            "ram:BilledQuantity",
            str(line.quantity),
            unitCode="C62",
        )
        settlement = b.add(item, "ram:SpecifiedLineTradeSettlement")
        tax = b.add(settlement, "ram:ApplicableTradeTax")
        b.add(tax, "ram:TypeCode", "VAT")
        b.add(tax, "ram:CategoryCode", _category(line.tax_rate_centi, exempt))
        b.add(tax, "ram:RateApplicablePercent", _percent(line.tax_rate_centi))
        summation = b.add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        b.add(summation, "ram:LineTotalAmount", _amount(line.net_minor, money))
    agreement = b.add(trade, "ram:ApplicableHeaderTradeAgreement")
    _party(b, agreement, "ram:SellerTradeParty", view.seller, seller=True)
    _party(b, agreement, "ram:BuyerTradeParty", view.customer, seller=False)
    delivery = b.add(trade, "ram:ApplicableHeaderTradeDelivery")
    if view.delivery_date:
        _date(
            b,
            b.add(delivery, "ram:ActualDeliverySupplyChainEvent"),
            "ram:OccurrenceDateTime",
            view.delivery_date,
        )
    _settlement(b, trade, view, exempt)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _settlement(b: _Builder, trade: etree._Element, view: InvoiceView, exempt: bool) -> None:
    money = view.currency
    settlement = b.add(trade, "ram:ApplicableHeaderTradeSettlement")
    b.add(settlement, "ram:PaymentReference", view.number)
    b.add(settlement, "ram:InvoiceCurrencyCode", money)
    if view.seller.get("iban"):
        means = b.add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        b.add(means, "ram:TypeCode", "58")  # SEPA credit transfer
        b.add(b.add(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", view.seller["iban"])
    for rate in view.rates:
        tax = b.add(settlement, "ram:ApplicableTradeTax")
        b.add(tax, "ram:CalculatedAmount", _amount(rate.tax_minor, money))
        b.add(tax, "ram:TypeCode", "VAT")
        if exempt:
            b.add(tax, "ram:ExemptionReason", FRENCH_EXEMPTION)
        b.add(tax, "ram:BasisAmount", _amount(rate.net_minor, money))
        b.add(tax, "ram:CategoryCode", _category(rate.rate_centi, exempt))
        if exempt:
            b.add(tax, "ram:ExemptionReasonCode", "VATEX-FR-FRANCHISE")
        b.add(tax, "ram:RateApplicablePercent", _percent(rate.rate_centi))
    if view.due_date and view.kind == rules.Kind.INVOICE:
        terms = b.add(settlement, "ram:SpecifiedTradePaymentTerms")
        _date(b, terms, "ram:DueDateDateTime", view.due_date)
    summation = b.add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    prepaid = max(0, min(view.paid_minor, view.total_minor)) if view.kind == rules.Kind.INVOICE else 0
    b.add(summation, "ram:LineTotalAmount", _amount(view.net_minor, money))
    b.add(summation, "ram:TaxBasisTotalAmount", _amount(view.net_minor, money))
    b.add(summation, "ram:TaxTotalAmount", _amount(view.tax_minor, money), currencyID=money)
    b.add(summation, "ram:GrandTotalAmount", _amount(view.total_minor, money))
    b.add(summation, "ram:TotalPrepaidAmount", _amount(prepaid, money))
    b.add(summation, "ram:DuePayableAmount", _amount(view.total_minor - prepaid, money))
    if view.corrects_number:
        b.add(
            b.add(settlement, "ram:InvoiceReferencedDocument"), "ram:IssuerAssignedID", view.corrects_number
        )


# -- The words ------------------------------------------------------------------------------------

LEGAL = {
    "terms": N_("Payment due by %(date)s."),
    "on_receipt": N_("Payable on receipt."),
    "penalty_rate": N_("Late payment: penalties at %(rate)s %% a year."),
    "penalty_legal": N_("Late payment: penalties at three times the French legal interest rate."),
    "indemnity": N_(
        "Fixed indemnity for recovery costs in case of late payment: %(amount)s (art. D. 441-5)."
    ),
    "no_discount": N_("No discount for early payment."),
    "transfer": N_("Bank transfer: quote %(number)s as the reference."),
}


def _notes(view: InvoiceView) -> list[tuple[str, str]]:
    """The legal mentions as XML notes (REG regulatory, PMT payment, AAB discount), in French."""
    found = [(text, "PMT") for text in legal_mentions(view, "fr")]
    if view.seller.get("vat_exempt"):
        found.insert(0, (FRENCH_EXEMPTION, "REG"))
    return found


def legal_mentions(view: InvoiceView, locale: str) -> list[str]:
    """Payment terms, penalties and the recovery indemnity (business customers), in ``locale``."""
    if view.kind != rules.Kind.INVOICE:
        return []
    say = _translator(locale)
    found = []
    if view.due_date and view.issue_date and view.due_date > view.issue_date:
        found.append(say(LEGAL["terms"]) % {"date": _day(view.due_date, locale)})
    else:
        found.append(say(LEGAL["on_receipt"]))
    rate = view.seller.get("late_penalty_rate_centi")
    found.append(
        say(LEGAL["penalty_rate"]) % {"rate": _percent(rate)}
        if rate is not None
        else say(LEGAL["penalty_legal"])
    )
    if view.customer.get("is_business"):
        amount = format_money(rules.RECOVERY_INDEMNITY_MINOR, "EUR", locale)
        found.append(say(LEGAL["indemnity"]) % {"amount": amount})
        found.append(say(LEGAL["no_discount"]))
    if view.seller.get("iban"):
        found.append(say(LEGAL["transfer"]) % {"number": view.number})
    return found


def _translator(locale: str) -> Callable[[str], str]:
    return translations(locale).gettext


def _day(when: date, locale: str) -> str:
    return when.strftime("%d/%m/%Y" if locale == "fr" else "%Y-%m-%d")


# -- The PDF --------------------------------------------------------------------------------------

TITLES = {
    "invoice": N_("Invoice"),
    "credit_note": N_("Credit note"),
    "draft": N_("Draft — not an invoice"),
    "number": N_("Number"),
    "issued": N_("Issue date"),
    "delivered": N_("Delivery date"),
    "due": N_("Due date"),
    "corrects": N_("Corrects invoice %(number)s"),
    "reason": N_("Reason: %(reason)s"),
    "seller": N_("Seller"),
    "customer": N_("Customer"),
    "siren": N_("SIREN %(siren)s"),
    "siret": N_("SIRET %(siret)s"),
    "vat": N_("VAT number %(vat)s"),
    "capital": N_("%(form)s with a capital of %(capital)s"),
    "description": N_("Description"),
    "quantity": N_("Qty"),
    "unit": N_("Unit price excl. tax"),
    "rate": N_("VAT"),
    "line_net": N_("Total excl. tax"),
    "rate_base": N_("VAT %(rate)s %%: base %(base)s, tax %(tax)s"),
    "net": N_("Total excl. tax"),
    "tax": N_("VAT"),
    "total": N_("Total incl. tax"),
    "paid": N_("Paid"),
    "balance": N_("Balance due"),
}


# What an invoice in a Latin-script language writes: ASCII, Latin-1 and Latin Extended-A and -B,
# punctuation (French amounts' narrow no-break space), currency signs (€), letter-like symbols, and
# the replacement character: 800 glyphs (70 kB).
LATIN = (
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x2000, 0x2070),
    *range(0x20A0, 0x20C0),
    *range(0x2100, 0x2150),
    0xFFFD,
)
# The wide cut, for a document with a character the Latin cut lacks: Latin with Vietnamese, Greek,
# Cyrillic, punctuation, currency signs, letter-like symbols and arrows (1,900 glyphs of 6,000).
SCRIPTS = (
    *range(0x20, 0x7F),
    *range(0xA0, 0x530),
    *range(0x1E00, 0x1F00),
    *range(0x2000, 0x2070),
    *range(0x20A0, 0x20C0),
    *range(0x2100, 0x2200),
    0xFFFD,
)


@cache
def _font_files(wide: bool = False) -> tuple[Path, Path] | None:
    """DejaVu cut down once per process to ``LATIN`` (or ``SCRIPTS`` when ``wide``): fpdf2 parses
    a font anew for each document and subsets it in place, and on the whole font that took about
    80 % of a 30-line invoice's time. On the Latin cut a document costs a sixth less than on the
    wide one (``bench/README.md``)."""
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        return None
    place = Path(tempfile.mkdtemp(prefix="comptoir-fonts-"))
    scripts = SCRIPTS if wide else LATIN
    return _compact(regular, place, scripts), _compact(bold, place, scripts)


def _compact(path: Path, place: Path, scripts: tuple[int, ...]) -> Path:
    options = subset.Options()
    options.layout_features, options.hinting, options.name_IDs = [], False, ["*"]
    options.notdef_outline, options.glyph_names = True, True
    options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge's timestamps: nothing to cut
    font = TTFont(path)
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=scripts)
    cutter.subset(font)
    kept = place / path.name
    font.save(kept)
    return kept


class _Page(FPDF):
    def __init__(self, wide: bool = False) -> None:
        super().__init__(format="A4")
        self.set_auto_page_break(auto=True, margin=15)
        fonts = _font_files(wide)
        if fonts:
            self.add_font("Body", "", str(fonts[0]))
            self.add_font("Body", "B", str(fonts[1]))
            for font in self.fonts.values():
                # The cut fonts' bounding boxes hold for any subset of them: without this, saving
                # each document's subset unpacked and packed every glyph again to recompute them
                # (a sixth of a document's time).
                font.ttfont.recalcBBoxes = False
            self.family = "Body"
        else:  # no font to embed: the core font, whose text is Latin-1
            self.family = "Helvetica"

    def lacks_glyphs(self) -> bool:
        """Whether some text drawn so far has a character the embedded font does not have."""
        return any(getattr(font, "missing_glyphs", None) for font in self.fonts.values())

    def text_line(self, text: str, size: float = 9, bold: bool = False, height: float = 4.5) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        text = self.safe(text)
        if "\n" not in text and self.get_string_width(text) < self.epw - 2 * self.c_margin:
            # One line, nearly always: multi_cell's line breaking measures the line again at each
            # character, a cost that grows with the square of its length (a quarter of a document).
            self.cell(0, height, text, new_x="LMARGIN", new_y="NEXT")
        else:
            self.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    def row(self, cells: tuple[str, ...], height: float) -> None:
        """A line of the table (``WIDTHS``; the first cell left-aligned, the others right), placed
        as ``cell()`` places one-line text. Drawn with ``text()``: ``cell()`` takes each through
        fpdf2's whole text layout (styles, markdown, line state), which for 30 lines was a quarter
        of a document's time."""
        if self.will_page_break(height):
            self.add_page()
        baseline = self.y + 0.5 * height + 0.3 * self.font_size
        x = self.l_margin
        for n, (width, text) in enumerate(zip(WIDTHS, cells, strict=True)):
            shown = self.safe(text)
            right = width - self.c_margin - self.get_string_width(shown)
            self.text(x + (self.c_margin if n == 0 else right), baseline, shown)
            x += width
        self.ln(height)

    def safe(self, text: str) -> str:
        if self.family == "Body":
            return text
        return (
            text.replace("€", "EUR")
            .replace("\u202f", " ")
            .replace("\xa0", " ")
            .encode("latin-1", "replace")
            .decode("latin-1")
        )


def render_pdf(view: InvoiceView, locale: str | None = None) -> bytes:
    """The invoice drawn as a PDF in ``locale`` (the invoice's own by default), without XML: with
    the Latin cut of the font, or again with the wide one if the text needs it."""
    pdf = _drawn(view, locale or view.locale, wide=False)
    if pdf.lacks_glyphs():
        pdf = _drawn(view, locale or view.locale, wide=True)
    return bytes(pdf.output())


def _drawn(view: InvoiceView, locale: str, *, wide: bool) -> _Page:
    say = _translator(locale)
    pdf = _Page(wide)
    pdf.set_title(view.number or "draft")
    pdf.add_page()
    kind = say(TITLES["credit_note" if view.kind == rules.Kind.CREDIT_NOTE else "invoice"])
    pdf.text_line(f"{kind} {view.number or ''}".strip(), size=16, bold=True, height=8)
    if view.number is None:
        pdf.text_line(say(TITLES["draft"]), bold=True)
    _dates(pdf, view, say, locale)
    _parties(pdf, view, say, locale)
    _lines(pdf, view, say, locale)
    _totals(pdf, view, say, locale)
    pdf.ln(4)
    if view.seller.get("vat_exempt"):
        pdf.text_line(FRENCH_EXEMPTION if locale == "fr" else say(EXEMPTION), bold=True)
    for text in legal_mentions(view, locale):
        pdf.text_line(text, size=8, height=4)
    return pdf


def _dates(pdf: _Page, view: InvoiceView, say: Callable[[str], str], locale: str) -> None:
    for key, when in (("issued", view.issue_date), ("delivered", view.delivery_date), ("due", view.due_date)):
        if when is not None and not (key == "due" and view.kind == rules.Kind.CREDIT_NOTE):
            pdf.text_line(f"{say(TITLES[key])}: {_day(when, locale)}")
    if view.corrects_number:
        pdf.text_line(say(TITLES["corrects"]) % {"number": view.corrects_number})
    if view.reason:
        pdf.text_line(say(TITLES["reason"]) % {"reason": view.reason})
    pdf.ln(3)


def _parties(pdf: _Page, view: InvoiceView, say: Callable[[str], str], locale: str) -> None:
    seller, customer = view.seller, view.customer
    pdf.text_line(say(TITLES["seller"]), bold=True)
    pdf.text_line(seller.get("legal_name") or seller.get("shop_name") or "")
    _address(pdf, seller)
    if seller.get("legal_form") or seller.get("capital_minor") is not None:
        capital = format_money(seller.get("capital_minor") or 0, view.currency, locale)
        pdf.text_line(say(TITLES["capital"]) % {"form": seller.get("legal_form") or "", "capital": capital})
    for key, field in (("siren", "siren"), ("siret", "siret"), ("vat", "vat_number")):
        if seller.get(field):
            pdf.text_line(say(TITLES[key]) % {key: seller[field]})
    pdf.ln(2)
    pdf.text_line(say(TITLES["customer"]), bold=True)
    pdf.text_line(customer.get("name", ""))
    _address(pdf, customer)
    if customer.get("siren"):
        pdf.text_line(say(TITLES["siren"]) % {"siren": customer["siren"]})
    if customer.get("vat_number"):
        pdf.text_line(say(TITLES["vat"]) % {"vat": customer["vat_number"]})
    pdf.ln(3)


def _address(pdf: _Page, party: dict) -> None:
    if party.get("address_line1"):
        pdf.text_line(party["address_line1"])
    place = " ".join(part for part in (party.get("postal_code"), party.get("city")) if part)
    if place:
        pdf.text_line(f"{place} {party.get('country') or ''}".strip())


WIDTHS = (80, 15, 35, 20, 35)


def _lines(pdf: _Page, view: InvoiceView, say: Callable[[str], str], locale: str) -> None:
    pdf.set_font(pdf.family, "B", 8)
    heads = ("description", "quantity", "unit", "rate", "line_net")
    for width, key in zip(WIDTHS, heads, strict=True):
        pdf.cell(width, 6, pdf.safe(say(TITLES[key])), border="B", align="L" if key == "description" else "R")
    pdf.ln()
    pdf.set_font(pdf.family, "", 8)
    for line in view.lines:
        cells = (
            line.description[:60],
            str(line.quantity),
            format_money(line.unit_net_minor, view.currency, locale),
            f"{_percent(line.tax_rate_centi)} %",
            format_money(line.net_minor, view.currency, locale),
        )
        pdf.row(cells, 5)
    pdf.ln(2)


def _totals(pdf: _Page, view: InvoiceView, say: Callable[[str], str], locale: str) -> None:
    def money(minor: int) -> str:
        return format_money(minor, view.currency, locale)

    for rate in view.rates:
        pdf.text_line(
            say(TITLES["rate_base"])
            % {"rate": _percent(rate.rate_centi), "base": money(rate.net_minor), "tax": money(rate.tax_minor)}
        )
    pdf.text_line(f"{say(TITLES['net'])}: {money(view.net_minor)}")
    pdf.text_line(f"{say(TITLES['tax'])}: {money(view.tax_minor)}")
    pdf.text_line(f"{say(TITLES['total'])}: {money(view.total_minor)}", size=11, bold=True, height=6)
    if view.kind == rules.Kind.INVOICE and view.number and view.paid_minor:
        pdf.text_line(f"{say(TITLES['paid'])}: {money(view.paid_minor)}")
        pdf.text_line(f"{say(TITLES['balance'])}: {money(view.balance_minor)}", bold=True)


def facturx_pdf(view: InvoiceView, locale: str | None = None) -> bytes:
    """The issued invoice as a Factur-X PDF: the drawing with its CII XML embedded (PDF/A-3),
    the XML checked against the EN 16931 schema (``facturx`` raises if it is not valid)."""
    return facturx.generate_from_binary(
        render_pdf(view, locale),
        cii_xml(view),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={
            "author": view.seller.get("legal_name") or view.seller.get("shop_name") or "",
            "keywords": "Factur-X",
            "title": view.number or "",
            "subject": view.number or "",
        },
        lang=locale or view.locale,
    )
