"""Small builders for catalog and stock rows used by inventory tests."""

from __future__ import annotations

from typing import Any

from backend.catalog.models import Product
from backend.inventory.models import Location, StockLevel
from backend.kernel.db import Base, Database
from backend.kernel.tx import Tx
from tests.writing import add


def set_columns(tx: Tx, model: type[Base], key: Any, values: dict[str, Any]) -> None:
    """Command: change columns of one row through the ORM, as the app's edits do (the shop's
    memory notices rows of its tables changed that way, events or not)."""
    row = tx.session.get_one(model, key)
    for name, value in values.items():
        setattr(row, name, value)


async def add_location(db: Database, code: str, *, default: bool = False) -> int:
    return await db.run(add, Location(code=code, name=code.title(), kind="warehouse", is_default=default))


async def add_product(
    db: Database,
    sku: str,
    *,
    backorder: bool = False,
    supplier_id: int | None = None,
    barcode: str | None = None,
) -> int:
    product = Product(
        sku=sku,
        name=sku.title(),
        price_minor=250,
        currency="EUR",
        tax_rate_centi=550,
        allow_backorder=backorder,
        supplier_id=supplier_id,
        barcode=barcode,
    )
    return await db.run(add, product)


async def level(db: Database, product_id: int, location_id: int) -> StockLevel | None:
    async with db.read() as session:
        return await session.get(StockLevel, (product_id, location_id))
