"""Claiming a key, storing its answer and forgetting old keys.

Claiming and completing come with every keyed mutation (each offline replay, each API order): they
are small synchronous writes through ``Database.run``, which on SQLite shares the writer
thread's transactions with the mutations themselves instead of contending with them for the lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete

from backend.db import Database, utcnow
from backend.idempotency import rules, sealing
from backend.idempotency.models import IdempotencyKey
from backend.tx import Tx


@dataclass(frozen=True)
class Keyed:
    """A request that carries an idempotency key: whose, which, and what it asked."""

    principal: str
    key: str  # as the client sent it: never stored (see ``sealing``)
    fingerprint: str

    @property
    def lookup(self) -> str:
        return sealing.lookup(self.key)


@dataclass(frozen=True)
class Claimed:
    """The key is ours: handle the request, then ``complete`` or ``abandon`` it."""

    key_id: int
    keyed: Keyed


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
# The answer's headers travel sealed with its body: the headers column stays empty.
_COMPLETE = "UPDATE idempotency_keys SET status = :status, headers = NULL, body = :body WHERE id = :id"
_ABANDON = "DELETE FROM idempotency_keys WHERE id = :id"


def claim_in(tx: Tx, keyed: Keyed) -> Claimed | Replay:
    """Claim a key inside the caller's transaction: see ``claim``. A new key, the common case,
    costs one statement."""
    where = {"principal": keyed.principal, "key": keyed.lookup}
    inserted = tx.execute(_CLAIM, where | {"fingerprint": keyed.fingerprint, "now": tx.now()}).fetchall()
    if inserted:
        return Claimed(int(inserted[0][0]), keyed)
    lease_start = tx.moment(utcnow() - rules.IN_FLIGHT_LEASE)
    found = tx.execute(_FIND, where | {"lease_start": lease_start}).fetchall()
    if not found:  # on PostgreSQL, another transaction holds it uncommitted: let the client retry
        raise InFlight
    key_id, stored_fingerprint, status, _headers, body, fresh = found[0]
    if stored_fingerprint != keyed.fingerprint:
        raise Mismatch
    if status is not None:
        return _replay(keyed, int(status), bytes(body or b""))
    if fresh:
        raise InFlight
    tx.execute(_TAKE_OVER, {"id": key_id, "now": tx.now()})  # the first attempt died; this one takes over
    return Claimed(int(key_id), keyed)


def _replay(keyed: Keyed, status: int, sealed: bytes) -> Replay:
    secret = sealing.sealing_key(keyed.principal, keyed.key)
    try:
        headers, body = sealing.open_sealed(secret, (keyed.principal, keyed.lookup), sealed)
    except sealing.Unreadable:
        raise Mismatch from None  # not the answer this key sealed: never replay it
    return Replay(status, headers, body)


async def claim(db: Database, keyed: Keyed) -> Claimed | Replay:
    """The key for this principal: ``Claimed`` (handle the request, then ``complete`` or
    ``abandon``), the stored answer (``Replay``), or ``InFlight`` / ``Mismatch`` raised."""
    return await db.run(claim_in, keyed)


def complete_in(tx: Tx, claimed: Claimed, status: int, headers: list[list[str]], body: bytes) -> None:
    """Store the answer to a claimed key, sealed, inside the caller's transaction."""
    keyed = claimed.keyed
    kept = body if len(body) <= rules.MAX_STORED_BODY else b""
    secret = sealing.sealing_key(keyed.principal, keyed.key)
    sealed = sealing.seal(secret, (keyed.principal, keyed.lookup), headers, kept)
    tx.execute(_COMPLETE, {"id": claimed.key_id, "status": status, "body": sealed})


async def complete(
    db: Database, claimed: Claimed, status: int, headers: list[list[str]], body: bytes
) -> None:
    await db.run(complete_in, claimed, status, headers, body)


def _abandon(tx: Tx, key_id: int) -> None:
    tx.execute(_ABANDON, {"id": key_id})


async def abandon(db: Database, claimed: Claimed) -> None:
    await db.run(_abandon, claimed.key_id)


async def purge_expired(db: Database) -> int:
    async with db.write() as session:
        result = await session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - rules.KEEP_FOR)
        )
    return result.rowcount or 0
