"""Stored results are sealed with a key that only the client holds: its own idempotency key.

A keyed command's result may hold a secret: a placed order's tracking token (the checkout's
redirect, the API's ``tracking_url``), of which the orders table keeps only a hash. Keeping the
result readable for the seven days a key lives would undo that for whoever reads the database or
a backup of it. The idempotency key is what a replay brings again, so:

- the table keeps only a hash of the key (``lookup``), which is enough to find the row;
- the result is encrypted (AES-GCM) under a key derived from the idempotency key itself, bound to
  the row's principal and lookup, and decrypted only when the same key comes back.

Other designs were weighed: removing the token from the stored result cannot work, since it could
not be recovered (only its hash is kept); deriving tokens from the key would spread this into
every place that makes one; a key derived from the instance secret would sit beside the SQLite
database in the same data directory. Forms send random keys (UUIDs); API clients should too,
since a guessable key makes its answer readable to whoever reads the table.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
# What a sealed result starts with. Earlier versions sealed HTTP answers, which start with "[" (their
# headers, as JSON): those are ``Outdated``.
RESULT_FORMAT = b"\x01"


def lookup(key: str) -> str:
    """What the table keeps of an idempotency key: enough to find it, not to read its answer."""
    return hashlib.sha256(b"comptoir idempotency lookup\0" + key.encode()).hexdigest()


def sealing_key(principal: str, key: str) -> bytes:
    return hmac.new(key.encode(), b"comptoir idempotent answer\0" + principal.encode(), "sha256").digest()


def _bound_to(principal: str, key_lookup: str) -> bytes:
    return f"{principal}\0{key_lookup}".encode()


def seal(secret: bytes, bound_to: tuple[str, str], result: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(secret).encrypt(nonce, RESULT_FORMAT + result, _bound_to(*bound_to))


def seal_http_answer(
    secret: bytes, bound_to: tuple[str, str], headers: list[list[str]], body: bytes
) -> bytes:
    """How versions before migration 0011 sealed a stored HTTP answer (migration 0008 still does)."""
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(headers).encode() + b"\0" + body
    return nonce + AESGCM(secret).encrypt(nonce, plain, _bound_to(*bound_to))


class Unreadable(Exception):
    """The stored result does not open with this key (altered, or moved to another row)."""


class Outdated(Exception):
    """It opens, but holds an HTTP answer stored by an earlier version, not a command's result."""


def open_sealed(secret: bytes, bound_to: tuple[str, str], sealed: bytes) -> bytes:
    try:
        plain = AESGCM(secret).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _bound_to(*bound_to))
    except InvalidTag:
        raise Unreadable from None
    if not plain.startswith(RESULT_FORMAT):
        raise Outdated
    return plain[len(RESULT_FORMAT) :]
