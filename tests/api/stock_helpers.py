"""Helpers for the stock-keeping screens' tests: stock put in place, the ledger checked against the
counters, pages' forms posted the way a browser posts them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select

from backend.catalog.models import Product
from backend.inventory import service
from backend.inventory.models import StockLevel, StockMovement
from backend.inventory.rules import MovementKind
from backend.kernel.db import Database
from backend.kernel.events import Event
from backend.kernel.tx import Tx
from backend.purchasing.reorder import draft_reorder

T = TypeVar("T")


def settled(tx: Tx, operation: Callable[..., T], *args: Any) -> T:
    """Command: one stock operation of ``service`` (module-level, so that it travels to the
    writer), then the settlement every stock command ends with."""
    result = operation(tx, *args)
    service.settle(tx, None, draft_reorder)
    return result


def change_stock(tx: Tx, changes: list[service.Change]) -> None:
    """Command: on-hand changes (receipts, adjustments) in one transaction, settled."""
    for change in changes:
        service.change_on_hand(tx, change, None)
    service.settle(tx, None, draft_reorder)


async def receive_stock(db: Database, product_id: int, location_id: int, quantity: int) -> None:
    await db.run(change_stock, [service.Change(product_id, location_id, quantity, MovementKind.RECEIPT)])


async def stock_up(db: Database, sku: str, units: int = 20) -> None:
    """``units`` more of ``sku`` wherever it is kept: for tests that share one server with others
    (the browser tests), which may have sold what the demo shop started with."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(StockLevel.product_id, StockLevel.location_id)
                .join(Product, Product.id == StockLevel.product_id)
                .where(Product.sku == sku)
            )
        ).all()
    for product_id, location_id in rows:
        await receive_stock(db, product_id, location_id, units)


async def ledger_mismatches(db: Database) -> list[tuple[int, int, int, int]]:
    """(product, location, on hand, ledger sum) wherever the movements do not add up to on hand."""
    async with db.read() as session:
        rows = await session.execute(
            select(
                StockMovement.product_id, StockMovement.location_id, func.sum(StockMovement.quantity)
            ).group_by(StockMovement.product_id, StockMovement.location_id)
        )
        sums = {(product, location): int(total) for product, location, total in rows}
        levels = await session.scalars(select(StockLevel))
        return [
            (
                level.product_id,
                level.location_id,
                level.on_hand,
                sums.get((level.product_id, level.location_id), 0),
            )
            for level in levels
            if sums.get((level.product_id, level.location_id), 0) != level.on_hand
        ]


async def event_types(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(Event.type).order_by(Event.id)))
