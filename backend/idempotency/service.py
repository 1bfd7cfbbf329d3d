"""Claiming a key, storing its answer and forgetting old keys.

Claiming and completing come with every keyed mutation (each offline replay, each API order): they
are small synchronous writes through ``Database.run_write``, which on SQLite shares the writer
thread's transactions with the mutations themselves instead of contending with them for the lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete

from backend.db import Database, utcnow
from backend.idempotency import rules
from backend.idempotency.models import IdempotencyKey
from backend.tx import Tx, json_text


@dataclass(frozen=True)
class Keyed:
    """A request that carries an idempotency key: whose, which, and what it asked."""

    principal: str
    key: str
    fingerprint: str


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


_FIND = (
    "SELECT id, fingerprint, status, headers, body, created_at >= :lease_start FROM idempotency_keys"
    " WHERE principal = :principal AND key = :key"
)
_CLAIM = (
    "INSERT INTO idempotency_keys (principal, key, fingerprint, created_at)"
    " VALUES (:principal, :key, :fingerprint, :now) ON CONFLICT (principal, key) DO NOTHING RETURNING id"
)
_TAKE_OVER = "UPDATE idempotency_keys SET created_at = :now WHERE id = :id"
_COMPLETE = "UPDATE idempotency_keys SET status = :status, headers = :headers, body = :body WHERE id = :id"
_ABANDON = "DELETE FROM idempotency_keys WHERE id = :id"


def claim_in(tx: Tx, principal: str, key: str, fingerprint: str) -> Claimed | Replay:
    """Claim a key inside the caller's transaction: see ``claim``. A new key, the common case,
    costs one statement."""
    values = {"principal": principal, "key": key, "fingerprint": fingerprint, "now": tx.now()}
    inserted = tx.execute(_CLAIM, values).fetchall()
    if inserted:
        return Claimed(int(inserted[0][0]))
    lease_start = tx.moment(utcnow() - rules.IN_FLIGHT_LEASE)
    found = tx.execute(_FIND, {"principal": principal, "key": key, "lease_start": lease_start}).fetchall()
    if not found:  # on PostgreSQL, another transaction holds it uncommitted: let the client retry
        raise InFlight
    key_id, stored_fingerprint, status, headers, body, fresh = found[0]
    if stored_fingerprint != fingerprint:
        raise Mismatch
    if status is not None:
        return Replay(int(status), _json(headers) or [], bytes(body or b""))
    if fresh:
        raise InFlight
    tx.execute(_TAKE_OVER, {"id": key_id, "now": tx.now()})  # the first attempt died; this one takes over
    return Claimed(int(key_id))


def _json(value: Any) -> Any:
    """A JSON column read with plain SQL: text on SQLite, and on PostgreSQL as the driver decodes it."""
    return json.loads(value) if isinstance(value, str | bytes) else value


async def claim(db: Database, principal: str, key: str, fingerprint: str) -> Claimed | Replay:
    """The key for this principal: ``Claimed`` (handle the request, then ``complete`` or
    ``abandon``), the stored answer (``Replay``), or ``InFlight`` / ``Mismatch`` raised."""
    return await db.run_write(claim_in, principal, key, fingerprint)


def complete_in(tx: Tx, key_id: int, status: int, headers: list[list[str]], body: bytes) -> None:
    """Store the answer to a claimed key inside the caller's transaction."""
    kept = body if len(body) <= rules.MAX_STORED_BODY else b""
    tx.execute(_COMPLETE, {"id": key_id, "status": status, "headers": json_text(headers), "body": kept})


async def complete(
    db: Database, claimed: Claimed, status: int, headers: list[list[str]], body: bytes
) -> None:
    await db.run_write(complete_in, claimed.key_id, status, headers, body)


def _abandon(tx: Tx, key_id: int) -> None:
    tx.execute(_ABANDON, {"id": key_id})


async def abandon(db: Database, claimed: Claimed) -> None:
    await db.run_write(_abandon, claimed.key_id)


async def purge_expired(db: Database) -> int:
    async with db.write() as session:
        result = await session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - rules.KEEP_FOR)
        )
    return result.rowcount or 0
