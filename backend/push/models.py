"""Web Push tables: the devices that asked to be told (``push_subscriptions``), what is to be sent
to them (``push_deliveries``, the outbox), the dispatcher's lease, and what was already said once
(``push_alerts``: a product running low, an order waiting too long).

The dispatcher's place in the event log is an ``event_cursors`` row (consumer ``push``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow
from backend.kernel.events import EventId


class PushSubscription(Base):
    """One browser's push subscription, owned by an account or by one order's tracking link."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (order_id IS NULL)", name="one_owner"),
        CheckConstraint("failures >= 0", name="failures_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))  # the browser's P-256 public key, base64url
    auth: Mapped[str] = mapped_column(String(64))  # its 16-byte auth secret, base64url
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    # A shopper without an account subscribes through the tracking link: they hear this order only.
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True, default=None
    )
    locale: Mapped[str] = mapped_column(String(8))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row; a success resets it


class PushDelivery(Base):
    """A notification decided and not yet settled with its push service."""

    __tablename__ = "push_deliveries"
    __table_args__ = (Index("ix_push_deliveries_due", "due_at", "id"),)

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(EventId, default=None)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)  # the JSON the service worker reads, already in its language
    topic: Mapped[str] = mapped_column(String(32))  # RFC 8030 Topic: a newer one replaces it
    ttl: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushLease(Base):
    """Who dispatches: one holder at a time across processes, until ``expires_at``."""

    __tablename__ = "push_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PushAlert(Base):
    """A condition already announced (``stock-low:<product>:<location>``, ``order-late:<id>``): told
    once while it lasts, not at every event that finds it still true."""

    __tablename__ = "push_alerts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
