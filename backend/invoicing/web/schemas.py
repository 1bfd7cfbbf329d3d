"""The invoice and payment API's shapes (msgspec Structs) and the examples the schema shows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from backend.web.inputs import MAX_ID

Text = Annotated[str, msgspec.Meta(max_length=500)]
Short = Annotated[str, msgspec.Meta(max_length=120)]


# A row named in a request: out of range is a 400 (never a database error).
RowRef = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


class BilledCustomerIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Short
    address_line1: Annotated[str, msgspec.Meta(max_length=200)] = ""
    postal_code: Annotated[str, msgspec.Meta(max_length=20)] = ""
    city: Short = ""
    country: Annotated[str, msgspec.Meta(max_length=2)] = "FR"
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    is_business: bool = False
    vat_number: Annotated[str, msgspec.Meta(max_length=20)] = ""
    siren: Annotated[str, msgspec.Meta(max_length=14)] = ""
    id: int | None = None  # the customer record, when there is one


class InvoiceLineIn(msgspec.Struct, forbid_unknown_fields=True):
    """A line by SKU (price and rate from the catalog unless given) or by description."""

    quantity: int
    sku: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=300)] = ""
    unit_price_minor: int | None = None  # excluding tax
    tax_rate: Annotated[str, msgspec.Meta(max_length=8)] | None = None  # a percentage: "20", "5.5"


class InvoiceIn(msgspec.Struct, forbid_unknown_fields=True):
    """Either ``order`` (the order's lines and customer), or ``customer`` and ``lines``."""

    order: RowRef | None = None
    customer: BilledCustomerIn | None = None
    lines: list[InvoiceLineIn] | None = None
    client_ref: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # the client's own id
    delivery_date: date | None = None
    locale: Annotated[str, msgspec.Meta(max_length=8)] = "fr"


class IssueIn(msgspec.Struct, forbid_unknown_fields=True):
    version: int | None = None  # the draft's version the client saw; 409 when it changed


class CreditLineIn(msgspec.Struct, forbid_unknown_fields=True):
    position: int  # the invoice line's (``lines[].position``)
    quantity: int


class CreditNoteIn(msgspec.Struct, forbid_unknown_fields=True):
    """Without ``lines``: everything still on the invoice."""

    reason: Text
    lines: list[CreditLineIn] | None = None


class InvoiceRefOut(msgspec.Struct):
    id: int
    kind: str  # invoice or credit_note
    status: str
    number: str | None
    total_minor: int
    currency: str
    version: int


class InvoiceLineOut(msgspec.Struct):
    position: int
    sku: str | None
    description: str
    quantity: int
    unit_price_minor: int  # in the invoice's price basis (prices_include_tax)
    tax_rate: str
    net_minor: int


class RateOut(msgspec.Struct):
    tax_rate: str
    net_minor: int
    tax_minor: int


class PaymentLineOut(msgspec.Struct):
    id: int
    kind: str  # payment or refund
    method: str
    amount_minor: int
    reference: str
    reason: str
    recorded_at: datetime


class InvoiceOut(InvoiceRefOut):
    order: int | None
    corrects: str | None  # a credit note: the number of the invoice it corrects
    reason: str
    customer: dict[str, Any]
    seller: dict[str, Any]
    locale: str
    prices_include_tax: bool
    lines: list[InvoiceLineOut]
    rates: list[RateOut]
    net_minor: int
    tax_minor: int
    credited_minor: int
    paid_minor: int  # net of refunds
    balance_minor: int  # still owed; negative: owed back (credit)
    issue_date: date | None
    delivery_date: date | None
    due_date: date | None
    payments: list[PaymentLineOut]


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True):
    """Against an order, an invoice, or both. More than is owed is kept as credit."""

    method: Annotated[str, msgspec.Meta(max_length=24)]
    amount_minor: int
    order: RowRef | None = None
    invoice: RowRef | None = None
    reference: Annotated[str, msgspec.Meta(max_length=100)] = ""


class PaymentRefundIn(msgspec.Struct, forbid_unknown_fields=True):
    method: Annotated[str, msgspec.Meta(max_length=24)]
    amount_minor: int
    reason: Text
    order: RowRef | None = None
    invoice: RowRef | None = None
    credit_note: RowRef | None = None  # the credit note it pays back
    reference: Annotated[str, msgspec.Meta(max_length=100)] = ""


class PaymentOut(msgspec.Struct):
    id: int
    kind: str
    order: int | None
    invoice: int | None
    amount_minor: int
    currency: str
    balance_minor: int  # of the invoice when there is one, else of the order


class CheckoutIn(msgspec.Struct, forbid_unknown_fields=True):
    order: RowRef | None = None
    invoice: RowRef | None = None


class CheckoutOut(msgspec.Struct):
    url: str  # the payment page to give the customer
    amount_minor: int
    currency: str


INVOICE_IN_EXAMPLE = {
    "customer": {
        "name": "ACME SARL",
        "address_line1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "is_business": True,
        "vat_number": "FR40303265045",
    },
    "lines": [
        {"description": "Repair", "quantity": 2, "unit_price_minor": 4500, "tax_rate": "20"},
        {"sku": "APPLE-GALA", "quantity": 6},
    ],
}
REF_EXAMPLE = {
    "id": 7,
    "kind": "invoice",
    "status": "draft",
    "number": None,
    "total_minor": 12382,
    "currency": "EUR",
    "version": 1,
}
ISSUED_EXAMPLE = {**REF_EXAMPLE, "status": "issued", "number": "F-2026-000123", "version": 2}
CREDIT_IN_EXAMPLE = {"reason": "Damaged on arrival", "lines": [{"position": 1, "quantity": 1}]}
CREDIT_EXAMPLE = {
    **REF_EXAMPLE,
    "id": 8,
    "kind": "credit_note",
    "status": "issued",
    "number": "AV-2026-000009",
    "total_minor": 5400,
}
INVOICE_EXAMPLE = {
    **ISSUED_EXAMPLE,
    "order": None,
    "corrects": None,
    "reason": "",
    "customer": INVOICE_IN_EXAMPLE["customer"],
    "seller": {"legal_name": "Épicerie Martin SAS"},
    "locale": "fr",
    "prices_include_tax": False,
    "lines": [
        {
            "position": 1,
            "sku": None,
            "description": "Repair",
            "quantity": 2,
            "unit_price_minor": 4500,
            "tax_rate": "20",
            "net_minor": 9000,
        }
    ],
    "rates": [{"tax_rate": "20", "net_minor": 9000, "tax_minor": 1800}],
    "net_minor": 9000,
    "tax_minor": 1800,
    "credited_minor": 0,
    "paid_minor": 0,
    "balance_minor": 10800,
    "issue_date": "2026-03-02",
    "delivery_date": None,
    "due_date": "2026-04-01",
    "payments": [],
}
PAYMENT_IN_EXAMPLE = {
    "invoice": 7,
    "method": "bank_transfer",
    "amount_minor": 5000,
    "reference": "F-2026-000123",
}
PAYMENT_EXAMPLE = {
    "id": 31,
    "kind": "payment",
    "order": None,
    "invoice": 7,
    "amount_minor": 5000,
    "currency": "EUR",
    "balance_minor": 5800,
}
REFUND_IN_EXAMPLE = {
    "invoice": 7,
    "method": "card",
    "amount_minor": 1000,
    "reason": "Damaged",
    "credit_note": 8,
}
CHECKOUT_IN_EXAMPLE = {"order": 42}
CHECKOUT_EXAMPLE = {
    "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
    "amount_minor": 1500,
    "currency": "EUR",
}
