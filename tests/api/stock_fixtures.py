"""Small builders for catalog and stock rows used by inventory tests."""

from __future__ import annotations

from backend.catalog.models import Product
from backend.db import Database
from backend.inventory.models import Location, StockLevel


async def add_location(db: Database, code: str, *, default: bool = False) -> int:
    async with db.write() as session:
        location = Location(code=code, name=code.title(), kind="warehouse", is_default=default)
        session.add(location)
        await session.flush()
        return location.id


async def add_product(
    db: Database, sku: str, *, backorder: bool = False, supplier_id: int | None = None
) -> int:
    async with db.write() as session:
        product = Product(
            sku=sku,
            name=sku.title(),
            price_minor=250,
            currency="EUR",
            tax_rate_centi=550,
            allow_backorder=backorder,
            supplier_id=supplier_id,
        )
        session.add(product)
        await session.flush()
        return product.id


async def level(db: Database, product_id: int, location_id: int) -> StockLevel | None:
    async with db.read() as session:
        return await session.get(StockLevel, (product_id, location_id))
