"""The storefront cart: what a visitor means to buy, kept in a signed cookie.

The cookie holds only product ids and quantities. Prices, names and availability are read from the
catalog each time the cart is shown or checked out, so a tampered or stale cookie can never change
what an order costs; the signature only keeps junk out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache

MAX_LINES = 50
MAX_QUANTITY = 99
COOKIE_NAME = "comptoir_cart"
COOKIE_MAX_AGE = 30 * 24 * 3600


class CartRejected(Exception):
    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Cart:
    """Product id → quantity, in the order the visitor added them."""

    lines: tuple[tuple[int, int], ...] = ()

    def quantity_of(self, product_id: int) -> int:
        return dict(self.lines).get(product_id, 0)

    @property
    def units(self) -> int:
        return sum(quantity for _, quantity in self.lines)

    @property
    def product_ids(self) -> list[int]:
        return [product_id for product_id, _ in self.lines]


def _checked_quantity(quantity: int) -> int:
    if quantity < 0 or quantity > MAX_QUANTITY:
        raise CartRejected("quantity_out_of_range", maximum=MAX_QUANTITY)
    return quantity


def set_quantity(cart: Cart, product_id: int, quantity: int) -> Cart:
    """The cart with ``product_id`` at ``quantity``; 0 takes the line out."""
    quantity = _checked_quantity(quantity)
    lines = dict(cart.lines)
    if quantity == 0:
        lines.pop(product_id, None)
    else:
        if product_id not in lines and len(lines) >= MAX_LINES:
            raise CartRejected("too_many_lines", maximum=MAX_LINES)
        lines[product_id] = quantity
    return Cart(tuple(lines.items()))


def add(cart: Cart, product_id: int, quantity: int) -> Cart:
    if quantity < 1:
        raise CartRejected("quantity_out_of_range", maximum=MAX_QUANTITY)
    return set_quantity(cart, product_id, cart.quantity_of(product_id) + quantity)


def without(cart: Cart, product_ids: set[int]) -> Cart:
    return Cart(tuple(line for line in cart.lines if line[0] not in product_ids))


# -- the cookie ------------------------------------------------------------------------------------


def _signature(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"cart:" + payload, hashlib.sha256).hexdigest()[:32]


def encode(cart: Cart, secret: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(cart.lines, separators=(",", ":")).encode()).rstrip(b"=")
    return f"{payload.decode()}.{_signature(secret, payload)}"


def _parsed_lines(raw: object) -> tuple[tuple[int, int], ...] | None:
    if not isinstance(raw, list) or len(raw) > MAX_LINES:
        return None
    lines: dict[int, int] = {}
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2 and all(type(v) is int for v in item)):
            return None
        product_id, quantity = item
        if product_id < 1 or not 1 <= quantity <= MAX_QUANTITY:
            return None
        lines[product_id] = quantity
    return tuple(lines.items())


def decode(value: str | None, secret: str) -> Cart:
    """The cart in the cookie; an empty cart for a missing, unsigned or malformed one."""
    return _decoded(value, secret) if value else Cart()


@lru_cache(maxsize=1024)  # a visitor sends the same cookie with every page until the cart changes
def _decoded(value: str, secret: str) -> Cart:
    payload, _, signature = value.partition(".")
    if not hmac.compare_digest(signature, _signature(secret, payload.encode())):
        return Cart()
    try:
        raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return Cart()
    lines = _parsed_lines(raw)
    return Cart(lines) if lines is not None else Cart()
