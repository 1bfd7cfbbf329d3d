"""Between the API's shapes and the invoicing core: requests into command arguments, views and
problems into answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from backend.catalog.rules import format_tax_rate, parse_tax_rate
from backend.i18n.translation import gettext
from backend.invoicing import rules, service
from backend.invoicing.errors import InvoiceRejected
from backend.invoicing.service import CustomerInput, DraftInput, LineInput
from backend.invoicing.views import InvoiceView
from backend.invoicing.web.schemas import (
    BilledCustomerIn,
    InvoiceIn,
    InvoiceLineIn,
    InvoiceLineOut,
    InvoiceOut,
    PaymentLineOut,
    RateOut,
)


def message(code: str) -> str:
    return gettext(rules.MESSAGES.get(code, code))


def problems(found: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "message": message(code), "code": code} for key, code in found.items()]


def customer_input(data: BilledCustomerIn) -> CustomerInput:
    return CustomerInput(
        data.name,
        data.address_line1,
        data.postal_code,
        data.city,
        data.country.upper(),
        data.email,
        data.is_business,
        data.vat_number,
        data.siren,
        data.id,
    )


def _rate(raw: str | None, where: str) -> int | None:
    if raw is None:
        return None
    try:
        return parse_tax_rate(raw)
    except ValueError:
        raise InvoiceRejected({where: "tax_rate_invalid"}) from None


def line_input(line: InvoiceLineIn, n: int) -> LineInput:
    rate = _rate(line.tax_rate, f"lines[{n}]")
    return LineInput(line.quantity, line.description, line.sku or None, line.unit_price_minor, rate)


def draft_command(data: InvoiceIn) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """Which command makes the draft, and its arguments after the actor."""
    if data.order is not None:
        if data.lines is not None:
            raise InvoiceRejected({"order": "order_or_lines"})
        business = customer_input(data.customer) if data.customer else None
        return service.create_from_order, (data.order, data.client_ref, business)
    if data.customer is None or data.lines is None:
        raise InvoiceRejected({"order": "order_or_lines"})
    draft = DraftInput(
        customer_input(data.customer),
        tuple(line_input(line, n) for n, line in enumerate(data.lines)),
        delivery_date=data.delivery_date,
        locale=data.locale,
        client_ref=data.client_ref,
    )
    return service.create_draft, (draft,)


def invoice_out(view: InvoiceView) -> InvoiceOut:
    return InvoiceOut(
        id=view.id,
        kind=view.kind,
        status=view.status,
        number=view.number,
        total_minor=view.total_minor,
        currency=view.currency,
        version=view.version,
        order=view.order_id,
        corrects=view.corrects_number,
        reason=view.reason,
        customer=view.customer,
        seller=view.seller,
        locale=view.locale,
        prices_include_tax=view.prices_include_tax,
        lines=[
            InvoiceLineOut(
                line.position,
                line.sku,
                line.description,
                line.quantity,
                line.unit_price_minor,
                format_tax_rate(line.tax_rate_centi),
                line.net_minor,
            )
            for line in view.lines
        ],
        rates=[RateOut(format_tax_rate(r.rate_centi), r.net_minor, r.tax_minor) for r in view.rates],
        net_minor=view.net_minor,
        tax_minor=view.tax_minor,
        credited_minor=view.credited_minor,
        paid_minor=view.paid_minor,
        balance_minor=view.balance_minor,
        issue_date=view.issue_date,
        delivery_date=view.delivery_date,
        due_date=view.due_date,
        payments=[
            PaymentLineOut(p.id, p.kind, p.method, p.amount_minor, p.reference, p.reason, p.recorded_at)
            for p in view.payments
        ],
    )
