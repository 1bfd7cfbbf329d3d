"""A keyed command: the key claimed, the change made and its result stored in ONE transaction.

``run_keyed`` wraps the command a keyed request makes (``Database.run`` hands it over, see
``middleware.RequestKey``). A crash leaves either the change with its key and result, or neither:
there is no "in flight" state to outlive a process. A duplicate that arrives meanwhile waits for
the first: on SQLite behind it in the single writer, on PostgreSQL on the key's unique index until
the first commits, and then finds its result. A command that raises writes nothing, its claim
included, so a retry is judged afresh.

Results are stored as JSON (msgspec), decoded with the command's return annotation, rather than
pickled: a row read back from the database never runs code, whoever could write to it, and a
result stored by one version of the code still decodes in the next as long as its shape holds.
The JSON is sealed (``sealing``) since a result may hold a secret, such as an order's tracking
token. A command whose result must never be stored (a secret shown once) runs with ``keep`` false:
a replay then raises ``HandledBefore``, and its route answers without the secret.
"""

from __future__ import annotations

import functools
import logging
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.exceptions import HTTPException

from backend.i18n.translation import N_
from backend.idempotency import rules, sealing
from backend.kernel.db import Database, utcnow
from backend.kernel.tx import Tx

log = logging.getLogger("comptoir.idempotency")


@dataclass(frozen=True)
class Keyed:
    """A request that carries an idempotency key: whose, which, and what it asked."""

    principal: str
    key: str  # as the client sent it: never stored (see ``sealing``)
    fingerprint: str

    @property
    def lookup(self) -> str:
        return sealing.lookup(self.key)


class Mismatch(Exception):
    """The key was used before for a different request."""


class HandledBefore(HTTPException):
    """The key's request was handled before, and its result is not kept: it held a secret shown
    once, or an earlier version of the server stored its answer in another form. Routes that keep
    no result answer this themselves (e.g. by leading to the list the new item is in)."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__(detail=N_("A request with this idempotency key was already handled."))


_CLAIM = (
    "INSERT INTO idempotency_keys (principal, key, fingerprint, created_at)"
    " VALUES (:principal, :key, :fingerprint, :now) ON CONFLICT (principal, key) DO NOTHING RETURNING id"
)
_FIND = "SELECT fingerprint, body FROM idempotency_keys WHERE principal = :principal AND key = :key"
_STORE = "UPDATE idempotency_keys SET body = :body WHERE id = :id"
_PURGE = "DELETE FROM idempotency_keys WHERE created_at < :before"


def run_keyed(
    tx: Tx, keyed: Keyed, keep: bool, fn: Callable[..., Any], args: tuple[Any, ...]
) -> tuple[bool, Any]:
    """The command ``fn(tx, *args)`` under ``keyed``: (False, its result) the first time, with
    the result stored; (True, the stored result) for a replay, the command not run. Raises
    ``Mismatch`` for a key used with another request, ``HandledBefore`` for a replay of a result
    not kept. A new key costs two statements besides the command's."""
    where = {"principal": keyed.principal, "key": keyed.lookup}
    claimed = tx.execute(_CLAIM, where | {"fingerprint": keyed.fingerprint, "now": tx.now()}).fetchall()
    if not claimed:
        return True, _stored(tx, keyed, keep, fn, where)
    result = fn(tx, *args)
    encoded = _encode(fn, result) if keep else None
    if encoded is not None:
        sealed = sealing.seal(_secret(keyed), (keyed.principal, keyed.lookup), encoded)
        tx.execute(_STORE, {"id": int(claimed[0][0]), "body": sealed})
    return False, result


def _stored(tx: Tx, keyed: Keyed, keep: bool, fn: Callable[..., Any], where: dict[str, str]) -> Any:
    fingerprint, body = tx.execute(_FIND, where).fetchall()[0]
    if fingerprint != keyed.fingerprint:
        raise Mismatch
    if body is None or not keep:
        raise HandledBefore
    try:
        plain = sealing.open_sealed(_secret(keyed), (keyed.principal, keyed.lookup), bytes(body))
    except sealing.Outdated:
        raise HandledBefore from None
    except sealing.Unreadable:
        raise Mismatch from None  # not the result this key sealed: never replay it
    return msgspec.json.decode(plain, type=result_type(fn))


def _secret(keyed: Keyed) -> bytes:
    return sealing.sealing_key(keyed.principal, keyed.key)


def _encode(fn: Callable[..., Any], result: Any) -> bytes | None:
    """The result as stored; None when it cannot be kept (too large, or not plain data that reads
    back): a replay is then ``HandledBefore``, never the change applied twice."""
    try:
        result_type(fn)  # a result that could not be read back is not kept
        encoded = msgspec.json.encode(result)
    except (TypeError, msgspec.EncodeError):
        name = getattr(fn, "func", fn).__qualname__
        log.error("the result of %s cannot be kept for its idempotency key", name, exc_info=True)
        return None
    return encoded if len(encoded) <= rules.MAX_STORED_RESULT else None


def result_type(fn: Callable[..., Any]) -> Any:
    """The command's return annotation, resolved: what its stored result decodes to."""
    return _result_type(getattr(fn, "func", fn))  # a command given keywords is a partial


@functools.cache
def _result_type(fn: Callable[..., Any]) -> Any:
    try:
        return typing.get_type_hints(fn)["return"]
    except (KeyError, NameError) as exc:
        raise TypeError(f"{fn.__qualname__} needs a return annotation its module can resolve") from exc


def purge_in(tx: Tx) -> int:
    return tx.execute(_PURGE, {"before": tx.moment(utcnow() - rules.KEEP_FOR)}).rowcount or 0


async def purge_expired(db: Database) -> int:
    """Forget keys older than ``rules.KEEP_FOR``."""
    return await db.run(purge_in)
