"""Events a durable reader of the log could not handle, set aside so that it reads on.

A reader (e.g. invoicing's reactions) that fails on one event tries it again a few times, waiting
longer each time; once it has failed ``MAX_ATTEMPTS`` times the event is set aside here, with the
error, and the reader moves past it: one bad event no longer holds back every event behind it.
The row is unique per reader and event, so several processes setting the same event aside record
it once. The owner sees them listed where the reader is set up (invoicing's billing settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow
from backend.kernel.events import EventId
from backend.kernel.tx import Tx

MAX_ATTEMPTS = 4  # the first try and three more, after 1, 2 and 4 back-off steps
MAX_ERROR = 2000  # characters of the error kept


class DeadLetter(Base):
    __tablename__ = "dead_letters"
    __table_args__ = (UniqueConstraint("consumer", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int] = mapped_column(EventId)
    event_type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    set_aside_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


_SET_ASIDE = (
    "INSERT INTO dead_letters (consumer, event_id, event_type, subject, error, attempts, set_aside_at)"
    " VALUES (:consumer, :event_id, :event_type, :subject, :error, :attempts, :now)"
    " ON CONFLICT (consumer, event_id) DO NOTHING"
)


@dataclass(frozen=True)
class Failed:
    """An event a reader gave up on (plain data: commands may run in another process)."""

    consumer: str
    event_id: int
    event_type: str
    subject: str
    error: str
    attempts: int


def set_aside(tx: Tx, failed: Failed) -> bool:
    """Records the event once; False when it was set aside already (by another process)."""
    params = {
        "consumer": failed.consumer,
        "event_id": failed.event_id,
        "event_type": failed.event_type[:64],
        "subject": failed.subject[:64],
        "error": failed.error[:MAX_ERROR],
        "attempts": failed.attempts,
        "now": tx.now(),
    }
    return tx.execute(_SET_ASIDE, params).rowcount == 1


async def dead_letters(session: AsyncSession, consumer: str, limit: int = 50) -> list[DeadLetter]:
    """The newest first."""
    query = select(DeadLetter).where(DeadLetter.consumer == consumer).order_by(DeadLetter.id.desc())
    return list(await session.scalars(query.limit(limit)))
