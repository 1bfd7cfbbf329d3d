"""Invoicing tables. An invoice (or a credit note, ``kind``) keeps a copy of everything it says —
seller, customer, lines, totals per rate — so that once issued it never changes whatever happens
to the shop's settings, the customer or the catalog. Payments and refunds are one table
(``kind``), against an order, an invoice or both. Amounts are minor units of the invoice's
currency (64-bit: an invoice may be larger than an order).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow

Amount = BigInteger


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("total_minor >= 0 AND tax_minor >= 0 AND net_minor >= 0", name="totals_not_negative"),
        CheckConstraint("credited_minor >= 0 AND credited_minor <= total_minor", name="credit_within_total"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= paid_minor", name="refund_within_paid"),
        CheckConstraint("status = 'draft' OR number IS NOT NULL", name="issued_has_number"),
        Index("ix_invoices_status_id", "status", "id"),
        Index("ix_invoices_customer_id_id", "customer_id", "id"),
        Index("ix_invoices_order_id", "order_id"),
        Index("ix_invoices_corrects_id", "corrects_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="invoice")
    number: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    client_ref: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), default=None)
    reason: Mapped[str] = mapped_column(String(500), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    customer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # name, address, VAT number…
    seller: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # copied from settings at issue
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    rates: Mapped[list[list[int]]] = mapped_column(JSON, default=list)  # [rate_centi, net, tax]
    net_minor: Mapped[int] = mapped_column(Amount, default=0)
    tax_minor: Mapped[int] = mapped_column(Amount, default=0)
    total_minor: Mapped[int] = mapped_column(Amount, default=0)
    credited_minor: Mapped[int] = mapped_column(Amount, default=0)
    paid_minor: Mapped[int] = mapped_column(Amount, default=0)  # payments, before refunds
    refunded_minor: Mapped[int] = mapped_column(Amount, default=0)
    issue_date: Mapped[date | None] = mapped_column(Date, default=None)
    delivery_date: Mapped[date | None] = mapped_column(Date, default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
        CheckConstraint("tax_rate_centi >= 0 AND tax_rate_centi <= 10000", name="tax_rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(64), default=None)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(Amount)  # in the invoice's price basis
    tax_rate_centi: Mapped[int] = mapped_column(Integer)
    net_minor: Mapped[int] = mapped_column(Amount)  # the line's amount excluding tax
    corrects_position: Mapped[int | None] = mapped_column(Integer, default=None)  # credit note lines


class Payment(Base):
    """Money in (``payment``) or back out (``refund``). A refund names the credit note it pays
    back when there is one."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("order_id IS NOT NULL OR invoice_id IS NOT NULL", name="has_target"),
        Index("ix_payments_order_id", "order_id"),
        Index("ix_payments_invoice_id", "invoice_id"),
        Index("ix_payments_credit_note_id", "credit_note_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="payment")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), default=None)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), default=None)
    method: Mapped[str] = mapped_column(String(24))
    amount_minor: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    provider_ref: Mapped[str | None] = mapped_column(String(100), unique=True, default=None)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
