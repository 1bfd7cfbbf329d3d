"""Delivery tables. A run is one driver's day: a start point and an ordered list of stops, each
stop holding the packed delivery orders for one address (``stop_orders``). What the driver proves
at a drop-off (photo, signature) is a file named by its content hash (``proofs.py``); the stop
keeps the hashes. Positions sent during a started run are kept (``run_positions``); the run keeps
the last one. Pins remember where an address is, set by the owner, a geocoder or a drop-off.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow


class DeliveryRun(Base):
    __tablename__ = "delivery_runs"
    __table_args__ = (
        Index("ix_delivery_runs_driver_id_day", "driver_id", "day"),
        Index("ix_delivery_runs_day_status", "day", "status"),
        CheckConstraint(
            "cash_declared_minor IS NULL OR cash_declared_minor >= 0", name="declared_not_negative"
        ),
        CheckConstraint(
            "cash_received_minor IS NULL OR cash_received_minor >= 0", name="received_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # planned, started, finished
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), default=None)
    start_label: Mapped[str] = mapped_column(String(200), default="")
    start_latitude: Mapped[float] = mapped_column()
    start_longitude: Mapped[float] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)  # planned departure
    currency: Mapped[str] = mapped_column(String(3))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_latitude: Mapped[float | None] = mapped_column(default=None)
    last_longitude: Mapped[float | None] = mapped_column(default=None)
    last_accuracy_m: Mapped[int | None] = mapped_column(Integer, default=None)
    last_position_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Cash: what the driver says they handed back, then what the owner counted on receipt.
    cash_declared_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    cash_declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cash_received_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    cash_received_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    cash_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cash_note: Mapped[str] = mapped_column(String(300), default="")


class RunStop(Base):
    __tablename__ = "run_stops"
    __table_args__ = (
        Index("ix_run_stops_run_id_sequence", "run_id", "sequence"),
        CheckConstraint("cash_minor IS NULL OR cash_minor >= 0", name="cash_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("delivery_runs.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)  # 1, 2, … in the driving order
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, delivered, failed
    address_key: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(default=None)
    longitude: Mapped[float | None] = mapped_column(default=None)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    leg_seconds: Mapped[int] = mapped_column(Integer, default=0)  # from the previous point
    leg_meters: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # server time
    device_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # the phone's
    recipient: Mapped[str | None] = mapped_column(String(120), default=None)
    drop_latitude: Mapped[float | None] = mapped_column(default=None)
    drop_longitude: Mapped[float | None] = mapped_column(default=None)
    drop_accuracy_m: Mapped[int | None] = mapped_column(Integer, default=None)
    cash_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    photo_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    signature_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    failure_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    failure_note: Mapped[str] = mapped_column(String(300), default="")


class StopOrder(Base):
    """An order delivered at a stop. An order appears once per run it was planned on: a failed
    delivery planned again gets a new row on the new run."""

    __tablename__ = "stop_orders"

    stop_id: Mapped[int] = mapped_column(ForeignKey("run_stops.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    run_id: Mapped[int] = mapped_column(ForeignKey("delivery_runs.id", ondelete="CASCADE"), index=True)


class RunPosition(Base):
    __tablename__ = "run_positions"
    __table_args__ = (Index("ix_run_positions_run_id_id", "run_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("delivery_runs.id", ondelete="CASCADE"))
    latitude: Mapped[float] = mapped_column()
    longitude: Mapped[float] = mapped_column()
    accuracy_m: Mapped[int] = mapped_column(Integer)
    device_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AddressPin(Base):
    """Where an address is (``rules.address_key``): set by the owner, found by the geocoder, or
    confirmed by a drop-off. The owner's pin is never replaced by a guess."""

    __tablename__ = "address_pins"

    address_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    latitude: Mapped[float] = mapped_column()
    longitude: Mapped[float] = mapped_column()
    source: Mapped[str] = mapped_column(String(16))  # owner, geocoder, drop_off
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliverySettings(Base):
    """A single row (id 1): how this shop delivers. Absent, ``rules.DEFAULT_SETTINGS`` apply."""

    __tablename__ = "delivery_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    service_minutes: Mapped[int] = mapped_column(Integer)
    road_factor_percent: Mapped[int] = mapped_column(Integer)
    speed_kmh: Mapped[int] = mapped_column(Integer)
    require_photo: Mapped[bool] = mapped_column(Boolean)
    require_signature: Mapped[bool] = mapped_column(Boolean)
    require_recipient: Mapped[bool] = mapped_column(Boolean)
    require_position: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=1)
