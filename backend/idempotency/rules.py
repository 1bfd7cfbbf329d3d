"""What makes two requests "the same" and which keys are acceptable. Pure Python."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import msgspec

KEEP_FOR = timedelta(days=7)
MAX_KEY_LENGTH = 200
MAX_STORED_RESULT = 1024 * 1024
FORM_FIELD = "_idempotency_key"
# A route handler ``opt`` flag: the change's result holds a secret shown once (a new API token,
# an invitation link), so it is never stored; a replay raises ``service.HandledBefore``, which
# the handler answers without the secret.
RESULT_NOT_KEPT = "idempotency_result_not_kept"
# A route handler ``opt`` flag: the route takes no idempotency key. Signing in (or setting a
# password) opens a new session each time and counts each try against its throttle: several
# commands, none of which a replay should skip.
NOT_KEYED = "idempotency_not_keyed"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = ("application/json", "application/problem+json")
# Fields that differ between two submissions of the same form without changing its meaning.
VOLATILE_FIELDS = frozenset({FORM_FIELD, "_csrf_token"})


def is_valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable() and key.strip() == key


# Two requests are the same when they mean the same: the fingerprint is of the parsed request, so
# that a client may send the same JSON with other spacing or key order, or the same query in
# another order.


def fingerprint_form(method: str, path: str, query: str, fields: Iterable[tuple[str, str]]) -> str:
    kept = sorted((name, value) for name, value in fields if name not in VOLATILE_FIELDS)
    return _digest(method, path, query, repr(kept).encode())


def fingerprint_json(method: str, path: str, query: str, body: bytes) -> str:
    """A JSON body by its decoded value, keys sorted; a body that is not JSON by its bytes (the
    handler refuses it anyway)."""
    try:
        value: Any = msgspec.json.decode(body) if body.strip() else None
    except (msgspec.DecodeError, ValueError, RecursionError):  # invalid UTF-8 is a ValueError
        return fingerprint_raw(method, path, query, body)
    return _digest(method, path, query, b"json\0" + msgspec.json.encode(value, order="sorted"))


def fingerprint_raw(method: str, path: str, query: str, body: bytes) -> str:
    return _digest(method, path, query, body)


def canonical_query(query: str) -> str:
    return urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


def _digest(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), canonical_query(query).encode()):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()
