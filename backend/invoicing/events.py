"""What the invoicing domain records, one Struct per event type, and the sentence each one reads as."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType

from backend.i18n.translation import N_
from backend.kernel.events import DomainEvent, Sentence, says


class InvoiceDrafted(DomainEvent, tag="invoice.drafted"):
    total_minor: int | UnsetType = UNSET  # a draft typed from scratch
    order_id: int | UnsetType = UNSET  # a draft made from an order


class OfOrder(DomainEvent, kw_only=True):
    """An invoice's event names its order, if any, so the order's page hears it too."""

    order_id: int | None = None


class InvoiceEdited(OfOrder, tag="invoice.edited"):
    total_minor: int


class InvoiceDiscarded(OfOrder, tag="invoice.discarded"):
    pass


class InvoiceIssued(OfOrder, tag="invoice.issued"):
    number: str


class InvoiceSent(OfOrder, tag="invoice.sent"):
    pass


class InvoiceCredited(OfOrder, tag="invoice.credited"):
    credit_note: str  # its number


class MoneyMoved(DomainEvent):
    amount_minor: int
    currency: str
    method: str
    invoice_id: int | None = None


class PaymentRecorded(MoneyMoved, tag="payment.recorded"):
    pass


class RefundRecorded(MoneyMoved, tag="refund.recorded"):
    credit_note_id: int | None = None  # the credit note it pays back


class BillingUpdated(DomainEvent, tag="shop.billing_updated"):
    """The seller's legal details (``billing.py``) changed."""

    changes: dict[str, Any]  # setting → [before, after]


EVENTS: tuple[type[DomainEvent], ...] = (
    BillingUpdated,
    InvoiceDrafted,
    InvoiceEdited,
    InvoiceDiscarded,
    InvoiceIssued,
    InvoiceSent,
    InvoiceCredited,
    PaymentRecorded,
    RefundRecorded,
)

SENTENCES: dict[type[DomainEvent], Sentence] = {
    BillingUpdated: says(N_("%(actor)s updated the shop's invoicing details")),
    InvoiceDrafted: says(N_("%(actor)s drafted an invoice")),
    InvoiceIssued: says(N_("%(actor)s issued invoice %(number)s")),
    InvoiceSent: says(N_("%(actor)s sent an invoice")),
    InvoiceCredited: says(N_("%(actor)s issued credit note %(credit_note)s")),
    PaymentRecorded: says(N_("%(actor)s recorded a payment (%(method)s)")),
    RefundRecorded: says(N_("%(actor)s recorded a refund (%(method)s)")),
}
