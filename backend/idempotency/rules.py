"""What makes two requests "the same" and which keys are acceptable. Pure Python."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta

KEEP_FOR = timedelta(days=7)
# A first request that has not finished within this time is taken to have died with its process.
IN_FLIGHT_LEASE = timedelta(minutes=2)
MAX_KEY_LENGTH = 200
MAX_STORED_BODY = 1024 * 1024
FORM_FIELD = "_idempotency_key"
# A route handler ``opt`` flag: the handler claims the key itself, inside the transaction of the
# change, so that the change and its stored answer commit together (placing an order).
OWN_KEY = "idempotency_in_transaction"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Only these response headers are part of the answer; cookies belong to the first response alone.
REPLAYED_HEADERS = frozenset(
    {"content-type", "location", "hx-redirect", "hx-trigger", "hx-refresh", "hx-location", "retry-after"}
)
# Fields that differ between two submissions of the same form without changing its meaning.
VOLATILE_FIELDS = frozenset({FORM_FIELD, "_csrf_token"})


def is_valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable() and key.strip() == key


def fingerprint_form(method: str, path: str, query: str, fields: Iterable[tuple[str, str]]) -> str:
    kept = sorted((name, value) for name, value in fields if name not in VOLATILE_FIELDS)
    return _digest(method, path, query, repr(kept).encode())


def fingerprint_raw(method: str, path: str, query: str, body: bytes) -> str:
    return _digest(method, path, query, body)


def _digest(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()


def kept_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[list[str]]:
    return [
        [name.decode("latin-1"), value.decode("latin-1")]
        for name, value in headers
        if name.decode("latin-1").lower() in REPLAYED_HEADERS
    ]
