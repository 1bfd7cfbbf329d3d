from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base


class ShopProfile(Base):
    """A single row (id 1): the shop this installation runs."""

    __tablename__ = "shop_profile"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    default_locale: Mapped[str] = mapped_column(String(8))
    # A tracking link stops working this many days after its order is done (delivered, collected,
    # cancelled or declined).
    tracking_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    version: Mapped[int] = mapped_column(Integer, default=1)


class ShopBilling(Base):
    """A single row (id 1): what the shop's invoices say about the seller, and how it is paid.
    Each issued invoice keeps a copy of these as they were (``invoices.seller``)."""

    __tablename__ = "shop_billing"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("payment_terms_days >= 0 AND payment_terms_days <= 60", name="terms_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    legal_name: Mapped[str] = mapped_column(String(120), default="")
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    siren: Mapped[str] = mapped_column(String(9), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    vat_number: Mapped[str] = mapped_column(String(16), default="")
    legal_form: Mapped[str] = mapped_column(String(40), default="")
    capital_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    vat_exempt: Mapped[bool] = mapped_column(Boolean, default=False)  # art. 293 B du CGI
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    late_penalty_rate_centi: Mapped[int | None] = mapped_column(Integer, default=None)
    iban: Mapped[str] = mapped_column(String(34), default="")
    pay_before_dispatch: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The order status at which an invoice is issued by itself; empty: only on demand.
    auto_invoice_at: Mapped[str] = mapped_column(String(24), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
