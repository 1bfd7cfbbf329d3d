"""The tracking link staff hand on, for orders whose customer never saw the checkout's (phone
orders, counter sales, imported orders), or saw it and lost it.

Its token is never stored: it is an HMAC of the order id and a random salt under a key derived from
the instance secret, so the order page can show the same link again; only the token's SHA-256 is
looked up (``share_token_hash``), as for the checkout's link, which keeps working beside it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select, update

from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders.errors import OrderNotFound
from backend.orders.events import OrderLinkShared
from backend.orders.models import Order
from backend.orders.placing import hash_tracking_token


def link_key(secret_key: str) -> bytes:
    """The key shared links are made with, derived from the instance secret so it serves nothing else."""
    return hmac.new(secret_key.encode(), b"comptoir tracking links v1", hashlib.sha256).digest()


def shared_token(key: bytes, order_id: int, salt: str) -> str:
    """The link's token: 256 bits, URL-safe, the same for the same order and salt."""
    digest = hmac.new(key, f"track:{order_id}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_salt() -> str:
    return secrets.token_hex(16)


def share_link(tx: Tx, actor_id: int | None, order_id: int, salt: str, token_hash: str) -> str:
    """Give the order its shared link (``token_hash`` is that of ``shared_token`` for ``salt``),
    unless it has one: the salt in effect is returned, so sharing twice hands on the same link."""
    current = tx.session.execute(select(Order.number, Order.share_salt).where(Order.id == order_id)).first()
    if current is None:
        raise OrderNotFound(order_id)
    if current[1] is not None:
        return str(current[1])
    made = tx.session.execute(
        update(Order)
        .where(Order.id == order_id, Order.share_salt.is_(None))
        .values(share_salt=salt, share_token_hash=token_hash)
    )
    if made.rowcount == 0:  # another request made it first (PostgreSQL): hand on that one
        return str(tx.session.scalar(select(Order.share_salt).where(Order.id == order_id)))
    record(tx, OrderLinkShared(number=current[0]), f"order:{order_id}", actor_id)
    return salt


def token_hash(token: str) -> str:
    return hash_tracking_token(token)
