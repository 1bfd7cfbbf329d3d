"""What the storefront shows: active products with how many a visitor can have, and a priced cart.

Prices always come from the catalog here, never from the cookie or the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from backend.catalog import listing
from backend.catalog import service as catalog
from backend.kernel.db import Database
from backend.storefront.cart import Cart
from backend.storefront.offer_cache import OfferCache, PickupPoint

FEW_LEFT = 5


class Availability(StrEnum):
    IN_STOCK = "in_stock"
    FEW_LEFT = "few_left"
    TO_ORDER = "to_order"  # out of stock, but the shop takes backorders
    SOLD_OUT = "sold_out"


def availability(available: int, allow_backorder: bool) -> Availability:
    if available > FEW_LEFT:
        return Availability.IN_STOCK
    if available > 0:
        return Availability.FEW_LEFT
    return Availability.TO_ORDER if allow_backorder else Availability.SOLD_OUT


def can_have(available: int, allow_backorder: bool) -> int | None:
    """The most a visitor may put in the cart; None means no limit from stock."""
    return None if allow_backorder else max(available, 0)


@dataclass(frozen=True)
class OfferItem:
    product: catalog.ProductView
    available: int

    @property
    def availability(self) -> Availability:
        return availability(self.available, self.product.allow_backorder)


@dataclass(frozen=True)
class OfferPage:
    items: list[OfferItem]
    next_cursor: str | None


async def offer_page(cache: OfferCache, db: Database, query: listing.ProductQuery) -> OfferPage:
    products = await cache.page(db, query)
    available = await cache.available(db, [product.id for product in products.items])
    items = [OfferItem(product, available.get(product.id, 0)) for product in products.items]
    return OfferPage(items, products.next_cursor)


@dataclass(frozen=True)
class CartLine:
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    currency: str
    available: int
    allow_backorder: bool

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def short(self) -> bool:
        return not self.allow_backorder and self.quantity > self.available


@dataclass(frozen=True)
class PricedCart:
    lines: list[CartLine]
    dropped: list[int]  # ids in the cookie that are no longer sold

    @property
    def currency(self) -> str | None:
        return self.lines[0].currency if self.lines else None

    @property
    def subtotal_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def has_shortage(self) -> bool:
        return any(line.short for line in self.lines)


async def priced(cache: OfferCache, db: Database, cart: Cart) -> PricedCart:
    """The cart with each line's name, price and stock from the catalog (never from the cookie)."""
    products = await cache.products(db, cart.product_ids)
    stock = await cache.available(db, list(products))
    lines = [
        CartLine(
            product_id=product.id,
            sku=product.sku,
            name=product.name,
            quantity=quantity,
            unit_price_minor=product.price_minor,
            currency=product.currency,
            available=stock.get(product.id, 0),
            allow_backorder=product.allow_backorder,
        )
        for product_id, quantity in cart.lines
        if (product := products.get(product_id)) is not None
    ]
    return PricedCart(lines, [product_id for product_id in cart.product_ids if product_id not in products])


class Basket(NamedTuple):
    priced: PricedCart
    pickup_points: tuple[PickupPoint, ...]


async def basket(cache: OfferCache, db: Database, cart: Cart) -> Basket:
    """What checkout shows and places: the cart priced from the catalog, and where it may be picked up."""
    return Basket(await priced(cache, db, cart), await cache.pickup_points(db))
