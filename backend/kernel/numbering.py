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


# PostgreSQL: the bump and the document's number in one statement, a round trip less while the
# counter row is locked (``lpad`` pads as ``next_number`` does, and never cuts).
_BUMP_INTO = (
    "WITH c AS (UPDATE counters SET value = value + 1 WHERE name = :name RETURNING value)"
    " UPDATE {table} SET number = :name || '-'"
    " || lpad(c.value::text, greatest(:width, length(c.value::text)), '0')"
    " FROM c WHERE {table}.id = :id RETURNING c.value"
)
_SET_NUMBER = "UPDATE {table} SET number = :number WHERE id = :id"


def number_row(tx: Tx, table: str, row_id: int, series: str, width: int = 5) -> str:
    """``next_number``, also written to the ``number`` column of ``table``'s row ``row_id`` (a
    table name of the code's, never of a request's)."""
    if tx.dialect == "postgresql":
        name = f"{series}-{utcnow().year}"
        found = tx.execute(_BUMP_INTO.format(table=table), {"name": name, "width": width, "id": row_id})
        if bumped := found.fetchall():
            return f"{name}-{bumped[0][0]:0{width}d}"
    number = next_number(tx, series, width)  # and the series' first number on PostgreSQL
    tx.execute(_SET_NUMBER.format(table=table), {"number": number, "id": row_id})
    return number


async def current_value(session: AsyncSession, series: str, year: int) -> int:
    return await session.scalar(select(Counter.value).where(Counter.name == f"{series}-{year}")) or 0
