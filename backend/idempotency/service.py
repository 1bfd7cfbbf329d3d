"""Claiming a key, storing its answer and forgetting old keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from backend.db import Database, utcnow
from backend.idempotency import rules
from backend.idempotency.models import IdempotencyKey


@dataclass(frozen=True)
class Claimed:
    """The key is ours: handle the request, then ``complete`` or ``abandon`` it."""

    key_id: int


@dataclass(frozen=True)
class Replay:
    status: int
    headers: list[list[str]]
    body: bytes


class InFlight(Exception):
    """The same key is being handled by another request right now."""


class Mismatch(Exception):
    """The key was used before for a different request."""


async def claim(db: Database, principal: str, key: str, fingerprint: str) -> Claimed | Replay:
    try:
        async with db.write() as session:
            row = await session.scalar(
                select(IdempotencyKey).where(IdempotencyKey.principal == principal, IdempotencyKey.key == key)
            )
            if row is None:
                row = IdempotencyKey(principal=principal, key=key, fingerprint=fingerprint)
                session.add(row)
                await session.flush()
                return Claimed(row.id)
            if row.fingerprint != fingerprint:
                raise Mismatch
            if row.status is not None:
                return Replay(row.status, row.headers or [], row.body or b"")
            if utcnow() - row.created_at < rules.IN_FLIGHT_LEASE:
                raise InFlight
            row.created_at = utcnow()  # the first attempt died; this one takes over
            return Claimed(row.id)
    except IntegrityError as exc:  # another process inserted the same key a moment ago
        raise InFlight from exc


async def complete(
    db: Database, claimed: Claimed, status: int, headers: list[list[str]], body: bytes
) -> None:
    async with db.write() as session:
        row = await session.get(IdempotencyKey, claimed.key_id)
        if row is not None:
            row.status, row.headers = status, headers
            row.body = body if len(body) <= rules.MAX_STORED_BODY else b""


async def abandon(db: Database, claimed: Claimed) -> None:
    async with db.write() as session:
        await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claimed.key_id))


async def purge_expired(db: Database) -> int:
    async with db.write() as session:
        result = await session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - rules.KEEP_FOR)
        )
    return result.rowcount or 0
