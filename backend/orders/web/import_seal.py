"""The uploaded file, carried from the preview to the confirmation inside the form and signed.

Why in the form rather than kept on the server: there is nothing to store, expire or clean up
when a preview is abandoned, and any process can confirm what another one previewed. The
signature binds the file to the person who previewed it and to the time, so a confirmation can
only place a file that was checked — and it is read and checked again against the database as it
is then, never taken from what the page showed. A form sent twice creates nothing twice: orders
are unique by external reference. The file travels compressed, since exports repeat themselves.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import zlib
from datetime import datetime, timedelta

from backend.orders.csv_import import MAX_BYTES

KEEP_FOR = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)  # the preview may come from another machine
# What the confirmation form may weigh: the largest file, incompressible, in base64, with room.
MAX_FORM_BYTES = MAX_BYTES * 4 // 3 + 64 * 1024


class SealBroken(Exception):
    """The sealed file was altered, belongs to someone else, or is too old."""


def _signature(secret: str, user_id: int, issued: int, payload: str) -> str:
    message = f"order-import:{user_id}:{issued}:{payload}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def seal(content: bytes, user_id: int, secret: str, now: datetime) -> str:
    payload = base64.urlsafe_b64encode(zlib.compress(content, 6)).decode().rstrip("=")
    issued = int(now.timestamp())
    return f"{issued}.{payload}.{_signature(secret, user_id, issued, payload)}"


def unseal(value: str, user_id: int, secret: str, now: datetime) -> bytes:
    """The file as it was previewed; raises ``SealBroken`` otherwise."""
    issued_text, _, rest = value.partition(".")
    payload, _, signature = rest.rpartition(".")
    if not (issued_text.isascii() and issued_text.isdigit()) or len(issued_text) > 12:
        raise SealBroken(value[:20])
    issued = int(issued_text)
    if not hmac.compare_digest(signature, _signature(secret, user_id, issued, payload)):
        raise SealBroken(value[:20])
    age = now.timestamp() - issued
    if not -CLOCK_SKEW.total_seconds() <= age <= KEEP_FOR.total_seconds():
        raise SealBroken(value[:20])
    try:
        packed = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        unpacker = zlib.decompressobj()
        content = unpacker.decompress(packed, MAX_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise SealBroken(value[:20]) from None
    if len(content) > MAX_BYTES or not unpacker.eof:
        raise SealBroken(value[:20])
    return content
