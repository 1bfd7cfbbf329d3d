"""Gapless document numbers (purchase orders, orders, invoices): one counter row per series and
year, bumped inside the transaction that creates the document, so a rollback leaves no gap."""

from __future__ import annotations

from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, utcnow
from backend.kernel.tx import Tx


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


_BUMP = "UPDATE counters SET value = value + 1 WHERE name = :name RETURNING value"
_FIRST = "INSERT INTO counters (name, value) VALUES (:name, 0) ON CONFLICT (name) DO NOTHING"


def next_number(tx: Tx, series: str, width: int = 5, year: int | None = None) -> str:
    """E.g. ``PO-2026-00001``, inside a command. The UPDATE locks the counter row until the
    transaction ends; concurrent firsts of a series meet at the upsert. ``year`` is the document's
    own (an invoice's issue date in the shop's time zone); the UTC year otherwise."""
    name = f"{series}-{year or utcnow().year}"
    found = tx.execute(_BUMP, {"name": name}).fetchall()
    if not found:
        tx.execute(_FIRST, {"name": name})
        found = tx.execute(_BUMP, {"name": name}).fetchall()
    return f"{name}-{found[0][0]:0{width}d}"


async def current_value(session: AsyncSession, series: str, year: int) -> int:
    return await session.scalar(select(Counter.value).where(Counter.name == f"{series}-{year}")) or 0
