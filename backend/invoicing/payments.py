"""Payments and refunds, against an order, an invoice or both: commands and the order's balance.

A payment against an order that has an issued invoice also counts towards that invoice; one
against an order not yet invoiced is attached to the invoice when it is issued. More than is owed
is kept (the balance goes below zero: the shop owes it back, as credit or as a refund). A refund
is never more than what was paid, net of earlier refunds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.invoicing import events, rules
from backend.invoicing.errors import InvoiceRejected
from backend.invoicing.models import Invoice, Payment
from backend.invoicing.rules import InvoiceStatus, Kind, Method
from backend.invoicing.service import _require, load, settle
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders.models import Order
from backend.orders.rules import Actor, OrderStatus
from backend.web import inputs

__all__ = ["OrderBalance", "PaymentInput", "PaymentRef", "order_balance", "record_payment", "record_refund"]

MAX_AMOUNT_MINOR = 10**13


@dataclass(frozen=True)
class PaymentInput:
    method: str
    amount_minor: int
    order_id: int | None = None
    invoice_id: int | None = None
    reference: str = ""  # card terminal's receipt, PayPal's id, the transfer's label
    reason: str = ""  # refunds: why
    credit_note_id: int | None = None  # refunds: the credit note paid back
    provider_ref: str | None = None  # an online provider's id: the same one twice is one payment


@dataclass(frozen=True)
class PaymentRef:
    id: int
    kind: str
    order_id: int | None
    invoice_id: int | None
    amount_minor: int
    currency: str
    balance_minor: int  # of the invoice when there is one, else of the order
    replayed: bool = False


def _check(wanted: PaymentInput, refund: bool) -> None:
    found = {}
    if wanted.method not in Method.__members__.values():
        found["method"] = "method_invalid"
    if not 1 <= wanted.amount_minor <= MAX_AMOUNT_MINOR:
        found["amount_minor"] = "amount_invalid"
    if wanted.order_id is None and wanted.invoice_id is None:
        found["target"] = "target_required"
    if not refund and wanted.method in rules.NEEDS_REFERENCE and inputs.is_blank(wanted.reference):
        found["reference"] = "reference_required"
    if refund and inputs.is_blank(wanted.reason):
        found["reason"] = "reason_required"
    if len(wanted.reference) > 100 or len(wanted.reason) > 500 or len(wanted.provider_ref or "") > 100:
        found.setdefault("reference", "too_long")
    if inputs.nul_at([wanted.reference, wanted.reason, wanted.provider_ref]):
        found.setdefault("reference", "too_long")
    if found:
        raise InvoiceRejected(found)


def _targets(tx: Tx, wanted: PaymentInput) -> tuple[Order | None, Invoice | None]:
    order = invoice = None
    if wanted.invoice_id is not None:
        invoice = load(tx, wanted.invoice_id, lock=True)
        if invoice.kind != Kind.INVOICE or invoice.status == InvoiceStatus.DRAFT:
            raise InvoiceRejected({"invoice": "not_issued"})
    order_id = wanted.order_id or (invoice.order_id if invoice else None)
    if order_id is not None:
        order = tx.session.scalars(select(Order).where(Order.id == order_id).with_for_update()).first()
        if order is None:
            raise InvoiceRejected({"order": "order_not_found"})
        if invoice is not None and invoice.order_id not in (None, order.id):
            raise InvoiceRejected({"invoice": "not_found"})
        if invoice is None:
            invoice = _issued_invoice(tx, order.id)
    return order, invoice


def _issued_invoice(tx: Tx, order_id: int) -> Invoice | None:
    query = select(Invoice).where(
        Invoice.order_id == order_id,
        Invoice.kind == Kind.INVOICE,
        Invoice.status.not_in([InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED]),
    )
    return tx.session.scalars(query.with_for_update()).first()


def _currency(order: Order | None, invoice: Invoice | None) -> str:
    return invoice.currency if invoice is not None else order.currency  # type: ignore[union-attr]


def record_payment(tx: Tx, actor: Actor, wanted: PaymentInput) -> PaymentRef:
    """Money received. The same ``provider_ref`` again (a provider's webhook sent twice) is a
    no-op that returns the first payment."""
    _require(actor)
    _check(wanted, refund=False)
    if wanted.provider_ref and (found := _by_provider_ref(tx, wanted.provider_ref)):
        return _ref(tx, found, replayed=True)
    order, invoice = _targets(tx, wanted)
    payment = _add(tx, actor, wanted, "payment", order=order, invoice=invoice)
    if invoice is not None:
        invoice.paid_minor += payment.amount_minor
        settle(invoice)
    return _recorded(tx, actor, payment, refund=False)


def record_online(tx: Tx, actor: Actor, target: str, wanted: PaymentInput, currency: str) -> PaymentRef:
    """A payment an online provider confirmed for ``target`` (``order:12`` or ``invoice:7``), by
    card, in ``currency``; the provider's id makes a second notice of it a no-op."""
    kind, _, raw = target.partition(":")
    if kind not in ("order", "invoice") or not raw.isdigit():
        raise InvoiceRejected({"target": "target_required"})
    key = "order_id" if kind == "order" else "invoice_id"
    wanted = PaymentInput(**{**asdict(wanted), key: int(raw)})
    if wanted.provider_ref and (found := _by_provider_ref(tx, wanted.provider_ref)):
        return _ref(tx, found, replayed=True)
    order, invoice = _targets(tx, wanted)
    if _currency(order, invoice) != currency:
        raise InvoiceRejected({"amount_minor": "currency_mismatch"})
    return record_payment(tx, actor, wanted)


def record_refund(tx: Tx, actor: Actor, wanted: PaymentInput) -> PaymentRef:
    """Money given back: never more than was paid (net of refunds) on the invoice, or on the
    order when it has no invoice; ``credit_note_id`` must correct that invoice."""
    _require(actor)
    _check(wanted, refund=True)
    order, invoice = _targets(tx, wanted)
    if invoice is not None:
        paid, refunded = invoice.paid_minor, invoice.refunded_minor
    else:
        paid, refunded = _order_sums(tx, order.id)  # type: ignore[union-attr]
    if problem := rules.refund_problem(wanted.amount_minor, paid, refunded):
        raise InvoiceRejected({"amount_minor": problem})
    if wanted.credit_note_id is not None:
        note = tx.session.get(Invoice, wanted.credit_note_id)
        if note is None or invoice is None or note.corrects_id != invoice.id:
            raise InvoiceRejected({"credit_note": "credit_note_mismatch"})
    payment = _add(tx, actor, wanted, "refund", order=order, invoice=invoice)
    if invoice is not None:
        invoice.refunded_minor += payment.amount_minor
        settle(invoice)
    return _recorded(tx, actor, payment, refund=True)


def _add(
    tx: Tx, actor: Actor, wanted: PaymentInput, kind: str, *, order: Order | None, invoice: Invoice | None
) -> Payment:
    payment = Payment(
        kind=kind,
        order_id=order.id if order else None,
        invoice_id=invoice.id if invoice else None,
        credit_note_id=wanted.credit_note_id if kind == "refund" else None,
        method=wanted.method,
        amount_minor=wanted.amount_minor,
        currency=_currency(order, invoice),
        reference=wanted.reference.strip(),
        reason=wanted.reason.strip(),
        provider_ref=wanted.provider_ref,
        recorded_by_id=actor.user_id,
    )
    tx.session.add(payment)
    tx.session.flush()
    return payment


def _recorded(tx: Tx, actor: Actor, payment: Payment, *, refund: bool) -> PaymentRef:
    subject = f"order:{payment.order_id}" if payment.order_id else f"invoice:{payment.invoice_id}"
    amounts = {"amount_minor": payment.amount_minor, "currency": payment.currency, "method": payment.method}
    moved: events.MoneyMoved
    if refund:
        moved = events.RefundRecorded(
            **amounts, invoice_id=payment.invoice_id, credit_note_id=payment.credit_note_id
        )
    else:
        moved = events.PaymentRecorded(**amounts, invoice_id=payment.invoice_id)
    record(tx, moved, subject, actor.user_id)
    return _ref(tx, payment)


def _by_provider_ref(tx: Tx, provider_ref: str) -> Payment | None:
    return tx.session.scalars(select(Payment).where(Payment.provider_ref == provider_ref)).first()


def _ref(tx: Tx, payment: Payment, replayed: bool = False) -> PaymentRef:
    if payment.invoice_id is not None:
        invoice = tx.session.get(Invoice, payment.invoice_id)
        owed = rules.balance(
            invoice.total_minor - invoice.credited_minor,  # type: ignore[union-attr]
            invoice.paid_minor,  # type: ignore[union-attr]
            invoice.refunded_minor,  # type: ignore[union-attr]
        )
    else:
        order = tx.session.get(Order, payment.order_id)
        paid, refunded = _order_sums(tx, payment.order_id)  # type: ignore[arg-type]
        owed = rules.balance(_order_due(order), paid, refunded)  # type: ignore[arg-type]
    return PaymentRef(
        payment.id,
        payment.kind,
        payment.order_id,
        payment.invoice_id,
        payment.amount_minor,
        payment.currency,
        owed,
        replayed,
    )


def _order_sums(tx: Tx, order_id: int) -> tuple[int, int]:
    rows = tx.session.execute(_SUMS.where(Payment.order_id == order_id)).all()
    sums = {kind: int(amount) for kind, amount in rows}
    return sums.get("payment", 0), sums.get("refund", 0)


_SUMS = select(Payment.kind, func.sum(Payment.amount_minor)).group_by(Payment.kind)
GONE = frozenset({OrderStatus.CANCELLED, OrderStatus.REJECTED})


def _order_due(order: Order) -> int:
    return 0 if order.status in GONE else order.total_minor


# -- Reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderBalance:
    """What the orders API shows: paid (net of refunds) and still owed (negative: owed back)."""

    paid_minor: int
    balance_minor: int
    currency: str


async def order_balance(session: AsyncSession, order_id: int) -> OrderBalance | None:
    """An order's payments and balance. Once it has issued invoices, what is owed is what they
    say (net of credit notes), otherwise the order's total (nothing once cancelled)."""
    order = await session.get(Order, order_id)
    if order is None:
        return None
    rows = (await session.execute(_SUMS.where(Payment.order_id == order_id))).all()
    sums = {kind: int(amount) for kind, amount in rows}
    invoiced = (
        await session.execute(
            select(func.count(), func.sum(Invoice.total_minor - Invoice.credited_minor)).where(
                Invoice.order_id == order_id,
                Invoice.kind == Kind.INVOICE,
                Invoice.status != InvoiceStatus.DRAFT,
            )
        )
    ).one()
    due = int(invoiced[1] or 0) if invoiced[0] else _order_due(order)
    paid, refunded = sums.get("payment", 0), sums.get("refund", 0)
    return OrderBalance(paid - refunded, rules.balance(due, paid, refunded), order.currency)
