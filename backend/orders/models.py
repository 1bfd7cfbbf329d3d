"""Order tables. An order keeps a snapshot of what was sold (SKU, name, price, tax rate) and of the
customer's details and address as they were when it was placed; its timeline is the events log
(subject ``order:<id>``). Its stock is held in ``reservations`` under the reference ``order:<id>``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel", "external_ref"),
        CheckConstraint("total_minor >= 0 AND tax_minor >= 0 AND net_minor >= 0", name="totals_not_negative"),
        Index("ix_orders_status_id", "status", "id"),
        Index("ix_orders_status_placed_at_id", "status", "placed_at", "id"),
        Index("ix_orders_customer_id_id", "customer_id", "id"),
        Index("ix_orders_placed_at_id", "placed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(16))
    fulfilment_mode: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    payment_method: Mapped[str] = mapped_column(String(24))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    customer_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), index=True, default=None)
    phone: Mapped[str | None] = mapped_column(String(20), index=True, default=None)
    address_line1: Mapped[str | None] = mapped_column(String(200), default=None)
    address_city: Mapped[str | None] = mapped_column(String(200), default=None)
    address_postal_code: Mapped[str | None] = mapped_column(String(200), default=None)
    address_country: Mapped[str | None] = mapped_column(String(2), default=None)
    address_latitude: Mapped[float | None] = mapped_column(default=None)
    address_longitude: Mapped[float | None] = mapped_column(default=None)
    # The delivery slot the customer chose, if any: the driver arrives between these moments.
    delivery_slot_start: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivery_slot_end: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    notes: Mapped[str] = mapped_column(String(1000), default="")
    net_minor: Mapped[int] = mapped_column(Integer)
    tax_minor: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    tracking_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The link staff hand on (phone, counter, imported orders): its token is derived again from
    # this salt and the instance secret (``orders.sharing``), so the order page can show it any
    # time; only its hash is looked up. The checkout's own link keeps working beside it.
    share_salt: Mapped[str | None] = mapped_column(String(32), default=None)
    share_token_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True, default=None)
    external_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    risk_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    placed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("backordered >= 0 AND backordered <= quantity", name="backordered_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    tax_rate_centi: Mapped[int] = mapped_column(Integer)
    net_minor: Mapped[int] = mapped_column(Integer)
    tax_minor: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(Integer)
    backordered: Mapped[int] = mapped_column(Integer, default=0)  # units promised beyond stock


class OrderRating(Base):
    """The customer's rating of a delivered or collected order: one per order, which they may
    change while their tracking link works (``orders.ratings``)."""

    __tablename__ = "order_ratings"
    __table_args__ = (CheckConstraint("stars >= 1 AND stars <= 5", name="stars_range"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
