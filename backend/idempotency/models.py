from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow


class IdempotencyKey(Base):
    """One used key, written in the same transaction as the change it was used for.

    ``key`` holds a hash of the client's key and ``body`` the change's result sealed with the key
    itself (see ``sealing``); ``body`` is None when the result was a secret shown once."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
