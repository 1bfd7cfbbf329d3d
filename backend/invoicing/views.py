"""Reads: one invoice whole (what its page, the API and the PDF show), the list with filters, and
what each customer owes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.customers.models import Customer
from backend.invoicing import rules
from backend.invoicing.billing import get_billing
from backend.invoicing.models import Invoice, InvoiceLine, Payment
from backend.invoicing.rules import InvoiceStatus, Kind
from backend.shop.service import get_profile


@dataclass(frozen=True)
class LineView:
    position: int
    sku: str | None
    description: str
    quantity: int
    unit_price_minor: int  # in the invoice's price basis
    unit_net_minor: int  # excluding tax, rounded for display
    tax_rate_centi: int
    net_minor: int


@dataclass(frozen=True)
class PaymentView:
    id: int
    kind: str
    method: str
    amount_minor: int
    reference: str
    reason: str
    recorded_at: Any


@dataclass(frozen=True)
class InvoiceView:
    id: int
    kind: str
    number: str | None
    status: str  # as shown: overdue included
    version: int
    order_id: int | None
    corrects_number: str | None
    reason: str
    customer: dict[str, Any]
    seller: dict[str, Any]
    locale: str
    currency: str
    prices_include_tax: bool
    lines: tuple[LineView, ...]
    rates: tuple[rules.RateTotal, ...]
    net_minor: int
    tax_minor: int
    total_minor: int
    credited_minor: int
    paid_minor: int  # net of refunds
    balance_minor: int
    issue_date: date | None
    delivery_date: date | None
    due_date: date | None
    payments: tuple[PaymentView, ...]  # a credit note's: the refunds that paid it back
    corrects_id: int | None = None  # a credit note's invoice


def _unit_net(line: InvoiceLine) -> int:
    return (2 * line.net_minor + line.quantity) // (2 * line.quantity)


async def invoice_view(
    session: AsyncSession, invoice_id: int, today: date | None = None
) -> InvoiceView | None:
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        return None
    lines = await session.scalars(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)
    )
    # A refund is money of the invoice it corrects; its credit note names it as well.
    paid_on = Payment.credit_note_id if invoice.kind == Kind.CREDIT_NOTE else Payment.invoice_id
    payments = await session.scalars(select(Payment).where(paid_on == invoice_id).order_by(Payment.id))
    corrects = await session.get(Invoice, invoice.corrects_id) if invoice.corrects_id else None
    seller = invoice.seller or await _current_seller(session)
    status = rules.shown_status(InvoiceStatus(invoice.status), invoice.due_date, today or date.today())
    return InvoiceView(
        id=invoice.id,
        kind=invoice.kind,
        number=invoice.number,
        status=status.value,
        version=invoice.version,
        order_id=invoice.order_id,
        corrects_number=corrects.number if corrects else None,
        reason=invoice.reason,
        customer=dict(invoice.customer),
        seller=dict(seller),
        locale=invoice.locale,
        currency=invoice.currency,
        prices_include_tax=invoice.prices_include_tax,
        lines=tuple(
            LineView(
                line.position,
                line.sku,
                line.description,
                line.quantity,
                line.unit_price_minor,
                _unit_net(line),
                line.tax_rate_centi,
                line.net_minor,
            )
            for line in lines
        ),
        rates=tuple(rules.RateTotal(*rate) for rate in invoice.rates),
        net_minor=invoice.net_minor,
        tax_minor=invoice.tax_minor,
        total_minor=invoice.total_minor,
        credited_minor=invoice.credited_minor,
        paid_minor=invoice.paid_minor - invoice.refunded_minor,
        balance_minor=_owed(invoice),
        issue_date=invoice.issue_date,
        delivery_date=invoice.delivery_date,
        due_date=invoice.due_date,
        payments=tuple(
            PaymentView(p.id, p.kind, p.method, p.amount_minor, p.reference, p.reason, p.recorded_at)
            for p in payments
        ),
        corrects_id=invoice.corrects_id,
    )


def _owed(invoice: Invoice) -> int:
    if invoice.kind != Kind.INVOICE or invoice.status == InvoiceStatus.DRAFT:
        return 0
    return rules.balance(
        invoice.total_minor - invoice.credited_minor, invoice.paid_minor, invoice.refunded_minor
    )


async def _current_seller(session: AsyncSession) -> dict[str, Any]:
    """A draft shows the settings as they are now; issuing copies them."""
    billing = await get_billing(session)
    profile = await get_profile(session)
    values = {name: getattr(billing, name) for name in billing.__dataclass_fields__ if name != "version"}
    return {**values, "pay_before_dispatch": list(billing.pay_before_dispatch), "shop_name": profile.name}


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    kind: str
    number: str | None
    status: str
    customer_name: str
    issue_date: date | None
    due_date: date | None
    total_minor: int
    balance_minor: int
    currency: str
    corrects_id: int | None = None  # a credit note's invoice


async def list_invoices(
    session: AsyncSession,
    *,
    status: str | None = None,
    kind: str | None = None,
    customer_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
    today: date | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
) -> list[InvoiceRow]:
    """Newest first; ``status`` ``overdue`` picks open invoices past their due date; the period
    is on the issue date (drafts have none)."""
    today = today or date.today()
    query = select(Invoice).order_by(Invoice.id.desc()).limit(limit)
    if issued_from is not None:
        query = query.where(Invoice.issue_date >= issued_from)
    if issued_to is not None:
        query = query.where(Invoice.issue_date <= issued_to)
    if status == InvoiceStatus.OVERDUE:
        query = query.where(Invoice.status.in_(rules.OPEN_STATUSES), Invoice.due_date < today)
    elif status:
        query = query.where(Invoice.status == status)
    if kind:
        query = query.where(Invoice.kind == kind)
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    if before_id is not None:
        query = query.where(Invoice.id < before_id)
    return [
        InvoiceRow(
            invoice.id,
            invoice.kind,
            invoice.number,
            rules.shown_status(InvoiceStatus(invoice.status), invoice.due_date, today).value,
            str(invoice.customer.get("name", "")),
            invoice.issue_date,
            invoice.due_date,
            invoice.total_minor,
            _owed(invoice),
            invoice.currency,
        )
        for invoice in await session.scalars(query)
    ]


@dataclass(frozen=True)
class CustomerDue:
    customer_id: int
    currency: str
    balance_minor: int  # negative: credit the customer holds
    name: str = ""


async def amounts_due_by_customer(session: AsyncSession) -> list[CustomerDue]:
    """What each customer owes on issued invoices (or is owed back), largest first."""
    owed = Invoice.total_minor - Invoice.credited_minor - Invoice.paid_minor + Invoice.refunded_minor
    query = (
        select(Invoice.customer_id, Invoice.currency, func.sum(owed))
        .where(
            Invoice.kind == Kind.INVOICE,
            Invoice.status != InvoiceStatus.DRAFT,
            Invoice.customer_id.is_not(None),
        )
        .group_by(Invoice.customer_id, Invoice.currency)
    )
    rows = [CustomerDue(int(c), cur, int(total)) for c, cur, total in await session.execute(query) if total]
    ids = {row.customer_id for row in rows}
    names = dict(
        (await session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids)))).all()
    )
    named = [
        CustomerDue(row.customer_id, row.currency, row.balance_minor, names.get(row.customer_id, ""))
        for row in rows
    ]
    return sorted(named, key=lambda row: -row.balance_minor)


@dataclass(frozen=True)
class Refundable:
    """What a refund from an invoice's page (or its credit note's) may pay back, and through
    which credit notes."""

    invoice_id: int  # the invoice the money was paid on
    paid_minor: int  # net of refunds already made
    credit_notes: tuple[tuple[int, str], ...]  # (id, number) of the notes correcting it


async def refundable(session: AsyncSession, view: InvoiceView) -> Refundable | None:
    """None for a draft, or a credit note whose invoice is gone."""
    invoice_id = view.corrects_id if view.kind == Kind.CREDIT_NOTE else view.id
    if view.number is None or invoice_id is None:
        return None
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        return None
    notes = await session.execute(
        select(Invoice.id, Invoice.number)
        .where(Invoice.corrects_id == invoice_id, Invoice.number.is_not(None))
        .order_by(Invoice.id)
    )
    return Refundable(
        invoice_id, invoice.paid_minor - invoice.refunded_minor, tuple((i, str(n)) for i, n in notes)
    )


async def order_invoices(session: AsyncSession, order_id: int) -> list[InvoiceRow]:
    """An order's invoices and credit notes, oldest first (drafts included)."""
    query = select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.id)
    today = date.today()
    return [
        InvoiceRow(
            invoice.id,
            invoice.kind,
            invoice.number,
            rules.shown_status(InvoiceStatus(invoice.status), invoice.due_date, today).value,
            str(invoice.customer.get("name", "")),
            invoice.issue_date,
            invoice.due_date,
            invoice.total_minor,
            _owed(invoice),
            invoice.currency,
            invoice.corrects_id,
        )
        for invoice in await session.scalars(query)
    ]
