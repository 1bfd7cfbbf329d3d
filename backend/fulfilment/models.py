"""Fulfilment tables. The order's status stays on ``orders`` (moved through the orders domain's
one transition table); what picking, packing and handing over add is kept here, one row per order
(``fulfilments``) and one per order line (``picked_lines``), beside the batches pickers start
and the carriers the shop ships with.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow


class PickBatch(Base):
    """Orders of one location that one picker took off the shelves together."""

    __tablename__ = "pick_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    picker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Fulfilment(Base):
    """One order from picking on: who picks it, its parcels, how it left."""

    __tablename__ = "fulfilments"
    __table_args__ = (
        CheckConstraint("parcels IS NULL OR parcels > 0", name="parcels_positive"),
        CheckConstraint("weight_g IS NULL OR weight_g > 0", name="weight_positive"),
        CheckConstraint("wrong_codes >= 0", name="wrong_codes_not_negative"),
        Index("ix_fulfilments_dispatched_at", "dispatched_at"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("pick_batches.id", ondelete="SET NULL"), index=True, default=None
    )
    picker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    parcels: Mapped[int | None] = mapped_column(Integer, default=None)
    weight_g: Mapped[int | None] = mapped_column(Integer, default=None)
    carrier: Mapped[str | None] = mapped_column(String(32), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(100), default=None)
    # The pickup code is never stored: it is derived from the order, this salt and the instance
    # secret (``rules.pickup_code``), and checked against this keyed hash.
    pickup_salt: Mapped[str | None] = mapped_column(String(32), default=None)
    pickup_code_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    picking_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    packed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PickedLine(Base):
    """What the picker took of one order line. Written when picking starts; an edit of the order
    (only possible on hold, after a short pick) replaces its lines, and with them these rows."""

    __tablename__ = "picked_lines"
    __table_args__ = (
        CheckConstraint("picked_quantity >= 0 AND short_quantity >= 0", name="quantities_not_negative"),
    )

    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    picked_quantity: Mapped[int] = mapped_column(Integer, default=0)
    short_quantity: Mapped[int] = mapped_column(Integer, default=0)  # not on the shelf (short pick)


class Carrier(Base):
    """A carrier the shop ships with; with no row at all, ``carriers.DEFAULT_CARRIERS`` apply."""

    __tablename__ = "carriers"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    # "https://…/{number}": where a tracking number is followed; empty for none.
    tracking_url: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
