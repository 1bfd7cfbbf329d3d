"""Stored answers are sealed with a key that only the client holds: its own idempotency key.

An answer may hold a secret: an order's tracking link (the checkout's redirect, the API's
``tracking_url``) is the token itself, of which the orders table keeps only a hash. Keeping the
answer readable for the seven days a key lives would undo that for whoever reads the database or
a backup of it. The idempotency key is what a replay brings again, so:

- the table keeps only a hash of the key (``lookup``), which is enough to find the row;
- the answer is encrypted (AES-GCM) under a key derived from the idempotency key itself, bound to
  the row's principal and lookup, and decrypted only when the same key comes back.

Other designs were weighed: removing the token from the stored answer cannot work, since it could
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
Headers = list[list[str]]


def lookup(key: str) -> str:
    """What the table keeps of an idempotency key: enough to find it, not to read its answer."""
    return hashlib.sha256(b"comptoir idempotency lookup\0" + key.encode()).hexdigest()


def sealing_key(principal: str, key: str) -> bytes:
    return hmac.new(key.encode(), b"comptoir idempotent answer\0" + principal.encode(), "sha256").digest()


def _bound_to(principal: str, key_lookup: str) -> bytes:
    return f"{principal}\0{key_lookup}".encode()


def seal(secret: bytes, bound_to: tuple[str, str], headers: Headers, body: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    # JSON escapes control characters, so the first NUL ends the headers.
    plain = json.dumps(headers).encode() + b"\0" + body
    return nonce + AESGCM(secret).encrypt(nonce, plain, _bound_to(*bound_to))


class Unreadable(Exception):
    """The stored answer does not open with this key (altered, or moved to another row)."""


def open_sealed(secret: bytes, bound_to: tuple[str, str], sealed: bytes) -> tuple[Headers, bytes]:
    try:
        plain = AESGCM(secret).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _bound_to(*bound_to))
    except InvalidTag:
        raise Unreadable from None
    headers, _, body = plain.partition(b"\0")
    return json.loads(headers), body
