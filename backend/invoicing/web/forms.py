"""Reading the invoice pages' forms: the invoice form (a customer and up to ``LINE_ROWS`` lines),
payments, credit notes and the billing settings; the core's problem codes put next to their fields."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date

from backend.catalog.rules import format_price_input, format_tax_rate, parse_price, parse_tax_rate
from backend.i18n.translation import current_locale, gettext
from backend.inventory.web.forms import Typed, parse_whole, text
from backend.invoicing import billing, rules
from backend.invoicing.service import CreditLine, CustomerInput, DraftInput, LineInput
from backend.invoicing.views import LineView
from backend.web import inputs
from backend.web.responses import FormErrors

LINE_ROWS = 6
LINE_PARTS = ("description", "quantity", "price", "rate")
CUSTOMER_FIELDS = ("name", "address_line1", "postal_code", "city", "country", "email", "vat_number", "siren")
RATES = (2000, 1000, 550, 210, 0)  # the French rates, standard first
# The core's field (``customer.name``) → the form's.
_CUSTOMER_KEYS = {f"customer.{name}": name for name in CUSTOMER_FIELDS}


def message(code: str) -> str:
    return gettext(rules.MESSAGES.get(code) or billing.MESSAGES.get(code) or code)


def method_options() -> list[tuple[str, str]]:
    return [(method.value, gettext(rules.METHOD_LABELS[method])) for method in rules.Method]


def line_field(row: int, part: str) -> str:
    return f"line{row}_{part}"


def invoice_typed(form: Mapping[str, object]) -> Typed:
    names = (*CUSTOMER_FIELDS, "customer_id", "then")  # not "action": it would hide the form's own
    lines = tuple(line_field(row, part) for row in range(LINE_ROWS) for part in LINE_PARTS)
    typed = Typed.read(form, (*names, *lines))
    typed.values["is_business"] = "on" if form.get("is_business") in ("on", "true", "1") else ""
    return typed


def blank_invoice(customer: Mapping[str, str] | None = None) -> Typed:
    values = {"country": "FR", **(customer or {})}
    values.update({line_field(row, "quantity"): "1" for row in range(1)})
    values.update({line_field(row, "rate"): "20" for row in range(LINE_ROWS)})
    return Typed(values)


@dataclass
class ReadInvoice:
    draft: DraftInput | None
    rows: list[int] = field(default_factory=list)  # the form row of each line sent


def _line(typed: Typed, row: int, currency: str, errors: FormErrors) -> LineInput | None:
    description = typed.get(line_field(row, "description"))
    quantity, problem = parse_whole(typed.get(line_field(row, "quantity")) or "0")
    if problem or quantity is None:
        errors.add(line_field(row, "quantity"), message("quantity_invalid"))
        return None
    try:
        price = parse_price(typed.get(line_field(row, "price")) or "0", currency)
    except ValueError:
        errors.add(line_field(row, "price"), message("price_invalid"))
        return None
    try:
        rate = parse_tax_rate(typed.get(line_field(row, "rate")) or "0")
    except ValueError:
        errors.add(line_field(row, "rate"), message("tax_rate_invalid"))
        return None
    return LineInput(quantity, description, None, price, rate)


def _filled(typed: Typed, row: int) -> bool:
    return any(typed.get(line_field(row, part)) for part in ("description", "price"))


def invoice_input(typed: Typed, currency: str, client_ref: str | None, errors: FormErrors) -> ReadInvoice:
    customer = CustomerInput(
        **{name: typed.get(name) for name in CUSTOMER_FIELDS},
        is_business=typed.get("is_business") == "on",
        customer_id=inputs.parse_id(typed.get("customer_id")),
    )
    read = ReadInvoice(None)
    lines = []
    for row in range(LINE_ROWS):
        if not _filled(typed, row):
            continue
        line = _line(typed, row, currency, errors)
        if line is not None:
            lines.append(line)
            read.rows.append(row)
    if errors:
        return read
    read.draft = DraftInput(customer, tuple(lines), client_ref=client_ref, locale="fr")
    return read


def invoice_problems(read: ReadInvoice, problems: Mapping[str, str], errors: FormErrors) -> None:
    """The core's problems next to the form's fields (``lines[2]`` is the third line sent)."""
    for key, code in problems.items():
        if key in _CUSTOMER_KEYS:
            errors.add(_CUSTOMER_KEYS[key], message(code))
        elif key.startswith("lines[") and key[6:-1].isdigit() and int(key[6:-1]) < len(read.rows):
            errors.add(line_field(read.rows[int(key[6:-1])], "description"), message(code))
        elif key == "lines":
            errors.add(line_field(0, "description"), message(code))
        else:
            errors.add(None, message(code))


def amount(typed: Typed, name: str, currency: str, errors: FormErrors) -> int | None:
    try:
        value = parse_price(typed.get(name), currency)
    except ValueError:
        errors.add(name, message("amount_invalid"))
        return None
    if value <= 0:
        errors.add(name, message("amount_invalid"))
        return None
    return value


REFUND_FIELDS = ("refund_method", "refund_amount", "refund_reason", "refund_credit_note")
# The core's fields → the refund form's (a reason too long comes back as the reference's).
_REFUND_KEYS = {
    "method": "refund_method",
    "amount_minor": "refund_amount",
    "reason": "refund_reason",
    "reference": "refund_reason",
}  # a credit note that is not this invoice's is a message of the whole form: the field may be hidden


def blank_refund(credit_note: int | None = None) -> Typed:
    return Typed(
        {"refund_method": "cash", "refund_credit_note": "" if credit_note is None else str(credit_note)}
    )


def refund_input(
    typed: Typed, currency: str, credit_notes: Collection[int], errors: FormErrors
) -> tuple[int | None, int | None]:
    """The amount in minor units and the credit note chosen (one of ``credit_notes``, or none)."""
    amount_minor = amount(typed, "refund_amount", currency, errors)
    if inputs.is_blank(typed.get("refund_reason")):
        errors.add("refund_reason", message("reason_required"))
    raw = typed.get("refund_credit_note")
    note = inputs.parse_id(raw)
    if raw and note not in credit_notes:
        errors.add(None, message("credit_note_mismatch"))
    return amount_minor, note


def refund_problems(problems: Mapping[str, str], errors: FormErrors) -> None:
    for key, code in problems.items():
        errors.add(_REFUND_KEYS.get(key), message(code))


def credit_lines(
    form: Mapping[str, object], lines: tuple[LineView, ...], errors: FormErrors
) -> tuple[CreditLine, ...]:
    """``credit_<position>`` per line: units to credit; blank or 0 credits none of that line."""
    found = []
    for line in lines:
        raw = text(form, f"credit_{line.position}")
        if raw in ("", "0"):
            continue
        units, problem = parse_whole(raw)
        if problem or units is None:
            errors.add(f"credit_{line.position}", message("quantity_invalid"))
            continue
        found.append(CreditLine(line.position, units))
    if not found and not errors:
        errors.add(None, message("nothing_to_credit"))
    return tuple(found)


# -- Billing settings -----------------------------------------------------------------------------

BILLING_TEXT = (
    "legal_name",
    "address_line1",
    "postal_code",
    "city",
    "country",
    "siren",
    "siret",
    "vat_number",
    "legal_form",
    "iban",
    "capital",
    "payment_terms_days",
    "late_penalty_rate",
    "auto_invoice_at",
    "version",
)


def billing_typed(form: Mapping[str, object], methods: tuple[str, ...]) -> Typed:
    typed = Typed.read(form, BILLING_TEXT)
    typed.values["vat_exempt"] = "on" if form.get("vat_exempt") in ("on", "true", "1") else ""
    for method in methods:
        typed.values[f"pay_first_{method}"] = "on" if form.get(f"pay_first_{method}") == "on" else ""
    return typed


def billing_values(settings: billing.BillingSettings, currency: str, methods: tuple[str, ...]) -> Typed:
    values = {name: str(getattr(settings, name)) for name in BILLING_TEXT if hasattr(settings, name)}
    values["capital"] = "" if settings.capital_minor is None else _decimal(settings.capital_minor, currency)
    rate = settings.late_penalty_rate_centi
    values["late_penalty_rate"] = "" if rate is None else format_tax_rate(rate)
    values["vat_exempt"] = "on" if settings.vat_exempt else ""
    values.update({f"pay_first_{m}": "on" if m in settings.pay_before_dispatch else "" for m in methods})
    return Typed(values)


def _decimal(minor: int, currency: str) -> str:
    return format_price_input(minor, currency)


def billing_input(
    typed: Typed, currency: str, methods: tuple[str, ...], errors: FormErrors
) -> billing.BillingInput | None:
    capital = None
    if typed.get("capital"):
        try:
            capital = parse_price(typed.get("capital"), currency)
        except ValueError:
            errors.add("capital", message("bad_capital"))
    terms, problem = parse_whole(typed.get("payment_terms_days") or "0", allow_zero=True)
    if problem or terms is None:
        errors.add("payment_terms_days", message("bad_terms"))
    penalty = None
    if typed.get("late_penalty_rate"):
        try:
            penalty = parse_tax_rate(typed.get("late_penalty_rate"))
        except ValueError:
            errors.add("late_penalty_rate", message("bad_penalty"))
    if errors:
        return None
    return billing.BillingInput(
        **{name: typed.get(name) for name in BILLING_TEXT[:10]},
        capital_minor=capital,
        vat_exempt=typed.get("vat_exempt") == "on",
        payment_terms_days=terms or 0,
        late_penalty_rate_centi=penalty,
        pay_before_dispatch=tuple(m for m in methods if typed.get(f"pay_first_{m}") == "on"),
        auto_invoice_at=typed.get("auto_invoice_at"),
    )


BILLING_KEYS = {"capital_minor": "capital", "late_penalty_rate_centi": "late_penalty_rate"}


def billing_problems(problems: Mapping[str, str], errors: FormErrors) -> None:
    for key, code in problems.items():
        errors.add(BILLING_KEYS.get(key, key), message(code))


def invoice_day(when: date | None) -> str:
    """A date as people of the page's language write it (``2 mars 2026``)."""
    return "" if when is None else format_date(when, format="medium", locale=current_locale.get())
