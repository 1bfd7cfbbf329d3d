"""Builders for order tests: a small shop with two locations, products with stock, actors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.catalog.models import Product
from backend.inventory import service
from backend.inventory.models import Location
from backend.inventory.rules import MovementKind
from backend.kernel.db import Database
from backend.kernel.tx import Tx
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.models import Order
from backend.orders.rules import Actor
from backend.purchasing.reorder import draft_reorder

PARIS = Address("1 rue de Rivoli", "Paris", "75001", "FR", 48.8606, 2.3376)
LYON = Address("2 place Bellecour", "Lyon", "69002", "FR", 45.7578, 4.8320)


def actor_for(role: Role, user_id: int) -> Actor:
    return Actor(user_id, ROLE_PERMISSIONS[role], is_customer=role == Role.CUSTOMER)


@dataclass
class Shop:
    warehouse: int  # ENT, default, in Paris
    boutique: int  # BTQ, pickup point, in Lyon
    products: dict[str, int]  # sku → id


async def build_shop(db: Database, stock: dict[str, tuple[int, int]] | None = None) -> Shop:
    """Products APPLE (2.50, 5.5 %), PEAR (4.00, 20 %), PLUM (1.20, 5.5 %), BREAD (backorder).
    ``stock``: sku → (units at ENT, units at BTQ)."""
    stock = stock if stock is not None else {"APPLE": (10, 5), "PEAR": (10, 0), "PLUM": (3, 3)}
    warehouse, boutique, ids = await db.run(_build_shop, stock)
    return Shop(warehouse, boutique, ids)


def _build_shop(tx: Tx, stock: dict[str, tuple[int, int]]) -> tuple[int, int, dict[str, int]]:
    ent = Location(
        code="ENT", name="Entrepôt", kind="warehouse", is_default=True, latitude=48.85, longitude=2.35
    )
    btq = Location(
        code="BTQ", name="Boutique", kind="shop", is_pickup_point=True, latitude=45.76, longitude=4.84
    )
    products = [
        Product(sku="APPLE", name="Apple", price_minor=250, currency="EUR", tax_rate_centi=550),
        Product(sku="PEAR", name="Pear", price_minor=400, currency="EUR", tax_rate_centi=2000),
        Product(sku="PLUM", name="Plum", price_minor=120, currency="EUR", tax_rate_centi=550),
        Product(sku="BREAD", name="Bread", price_minor=300, currency="EUR", allow_backorder=True),
        Product(sku="OLD", name="Old", price_minor=100, currency="EUR", active=False),
    ]
    tx.session.add_all([ent, btq, *products])
    tx.session.flush()
    ids = {product.sku: product.id for product in products}
    for sku, (at_ent, at_btq) in stock.items():
        for location, units in ((ent, at_ent), (btq, at_btq)):
            if units:
                change = service.Change(ids[sku], location.id, units, MovementKind.RECEIPT)
                service.change_on_hand(tx, change, None)
    service.settle(tx, None, draft_reorder)
    return ent.id, btq.id, ids


def set_placed_at(tx: Tx, placed: dict[int, datetime]) -> None:
    """Order id → when it is to have been placed: orders of the past, without waiting for them."""
    for order_id, moment in placed.items():
        tx.session.execute(update(Order).where(Order.id == order_id).values(placed_at=moment))


def draft(**changes: object) -> OrderDraft:
    base: dict[str, object] = {
        "customer": CustomerDetails("Ada Lovelace", "ada@example.com", "+33612345678"),
        "lines": [WantedLine("APPLE", 2), WantedLine("PEAR", 1)],
        "fulfilment_mode": "delivery",
        "payment_method": "card",
        "address": PARIS,
        "channel": "api",
    }
    return OrderDraft(**{**base, **changes})  # type: ignore[arg-type]
