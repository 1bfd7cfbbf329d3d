"""Returns tables. A return names its order and, per line, the order line, how many units come
back and why; on receipt each line gets its condition and what was done with it (restocked: a
``return`` movement on the stock ledger, or scrapped). The refund is the invoicing domain's: the
return keeps the credit note and the refund it led to. ``return_settings`` (one row) holds the
return window.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (
        Index("ix_returns_status_id", "status", "id"),
        Index("ix_returns_order_id", "order_id"),
        CheckConstraint("refund_minor >= 0", name="refund_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    note: Mapped[str] = mapped_column(String(500), default="")  # the customer's words
    decision_note: Mapped[str] = mapped_column(String(500), default="")  # why refused, or a word on approval
    currency: Mapped[str] = mapped_column(String(3))
    refund_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), default=None)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), default=None)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (
        UniqueConstraint("return_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("restocked >= 0 AND restocked <= quantity", name="restocked_within_quantity"),
        Index("ix_return_lines_product_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(24))
    condition: Mapped[str | None] = mapped_column(String(16), default=None)  # set on receipt
    restocked: Mapped[int] = mapped_column(Integer, default=0)  # units put back on the shelf


class ReturnSettings(Base):
    """A single row (id 1). Absent, ``rules.DEFAULT_WINDOW_DAYS`` applies."""

    __tablename__ = "return_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("window_days >= 0 AND window_days <= 365", name="window_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    window_days: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
