"""Reservations hold stock all-or-nothing, exactly, whatever the concurrency."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from backend.inventory import service
from backend.inventory.commands import release_stock, reserve_stock
from backend.inventory.models import Reservation, StockMovement
from backend.inventory.rules import Line, MovementKind
from backend.kernel.db import Database
from backend.kernel.events import Event
from backend.kernel.tx import Tx
from backend.purchasing.reorder import draft_reorder
from tests.api.stock_fixtures import add_location, add_product, level
from tests.api.stock_helpers import receive_stock, settled


async def _stock(db: Database, product_id: int, location_id: int, quantity: int) -> None:
    await receive_stock(db, product_id, location_id, quantity)


async def _try_reserve(db: Database, reference: str, lines: list[Line], location_id: int) -> bool:
    try:
        await db.run(settled, service.reserve, reference, lines, location_id)
    except service.InsufficientStock:
        return False
    return True


async def test_fifty_concurrent_attempts_for_the_last_ten_units_hold_exactly_ten(db: Database) -> None:
    shop = await add_location(db, "shop", default=True)
    apple = await add_product(db, "apple")
    await _stock(db, apple, shop, 10)
    outcomes = await asyncio.gather(
        *(_try_reserve(db, f"order:{n}", [Line(apple, 1)], shop) for n in range(50))
    )
    assert outcomes.count(True) == 10
    stock = await level(db, apple, shop)
    assert (stock.on_hand, stock.reserved) == (10, 10)
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Reservation)) == 10


async def _try_reserve_stock(db: Database, reference: str, lines: list[Line], location_id: int) -> bool:
    try:
        await reserve_stock(db, reference, lines, location_id, on_low=draft_reorder)
    except service.InsufficientStock:
        return False
    return True


async def _stock_events(db: Database) -> list[Event]:
    async with db.read() as session:
        return list(
            await session.scalars(select(Event).where(Event.type == "stock.changed").order_by(Event.id))
        )


async def test_fifty_concurrent_reserve_stock_calls_for_the_last_ten_units_hold_exactly_ten(
    db: Database,
) -> None:
    shop = await add_location(db, "shop", default=True)
    apple, pear = await add_product(db, "apple"), await add_product(db, "pear")
    await _stock(db, apple, shop, 10)
    await _stock(db, pear, shop, 100)
    before = len(await _stock_events(db))
    outcomes = await asyncio.gather(
        *(_try_reserve_stock(db, f"order:{n}", [Line(pear, 1), Line(apple, 1)], shop) for n in range(50))
    )
    assert outcomes.count(True) == 10
    assert (
        (await level(db, apple, shop)).reserved,
        (await level(db, pear, shop)).reserved,
    ) == (
        10,
        10,
    )
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Reservation)) == 20
    # One event per committed batch (at most one per success), the last with the final figures.
    events = (await _stock_events(db))[before:]
    assert 1 <= len(events) <= 10
    last = {(item["product_id"], item["reserved"]) for item in events[-1].data["levels"]}
    assert last <= {(apple, 10), (pear, 10)}
    assert events[-1].data["available"] in ({str(apple): 0, str(pear): 90}, {str(apple): 0}, {str(pear): 90})


async def test_release_stock_gives_back_and_records_one_event(db: Database) -> None:
    shop = await add_location(db, "shop", default=True)
    apple = await add_product(db, "apple")
    await _stock(db, apple, shop, 10)
    held = await reserve_stock(db, "order:1", [Line(apple, 3), Line(apple, 1)], shop, on_low=draft_reorder)
    assert [(item.product_id, item.quantity, item.backordered) for item in held] == [(apple, 4, 0)]
    before = len(await _stock_events(db))
    given_back = await release_stock(db, "order:1", on_low=draft_reorder)
    assert [(hold.product_id, hold.location_id, hold.quantity) for hold in given_back] == [(apple, shop, 4)]
    assert await release_stock(db, "order:1", on_low=draft_reorder) == []
    events = (await _stock_events(db))[before:]
    assert len(events) == 1
    assert events[0].data["levels"] == [
        {
            "product_id": apple,
            "location_id": shop,
            "on_hand": 10,
            "reserved": 0,
            "backordered": 0,
            "reorder_point": 0,
        }
    ]
    assert events[0].data["available"] == {str(apple): 10}


async def test_a_reservation_is_all_or_nothing_and_names_every_short_line(db: Database) -> None:
    shop = await add_location(db, "shop", default=True)
    apple, pear, plum = [await add_product(db, sku) for sku in ("apple", "pear", "plum")]
    await _stock(db, apple, shop, 5)
    await _stock(db, pear, shop, 1)
    with pytest.raises(service.InsufficientStock) as caught:
        await db.run(service.reserve, "order:1", [Line(apple, 2), Line(pear, 3), Line(plum, 1)], shop)
    assert [(s.product_id, s.wanted, s.available) for s in caught.value.shortages] == [
        (pear, 3, 1),
        (plum, 1, 0),
    ]
    assert (await level(db, apple, shop)).reserved == 0


def _release_and_consume(tx: Tx, released: str, consumed: str) -> None:
    """Both in one transaction, as an order change might."""
    service.release(tx, released)
    service.consume(tx, consumed, None)
    service.settle(tx, None, draft_reorder)


async def test_release_gives_back_and_consume_turns_the_hold_into_a_sale(db: Database) -> None:
    shop = await add_location(db, "shop", default=True)
    apple = await add_product(db, "apple")
    await _stock(db, apple, shop, 10)
    assert await _try_reserve(db, "order:1", [Line(apple, 3), Line(apple, 1)], shop)
    assert await _try_reserve(db, "order:2", [Line(apple, 2)], shop)
    await db.run(_release_and_consume, "order:1", "order:2")
    stock = await level(db, apple, shop)
    assert (stock.on_hand, stock.reserved) == (8, 0)
    async with db.read() as session:
        ledger = await session.scalar(select(func.sum(StockMovement.quantity)))
        sale = await session.scalar(select(StockMovement).where(StockMovement.kind == "sale"))
    assert ledger == 8
    assert (sale.quantity, sale.reference) == (-2, "order:2")


async def test_backorder_products_may_go_short_and_the_shortfall_is_recorded(db: Database) -> None:
    shop = await add_location(db, "shop", default=True)
    bread = await add_product(db, "bread", backorder=True)
    await _stock(db, bread, shop, 2)
    assert await _try_reserve(db, "order:1", [Line(bread, 5)], shop)
    stock = await level(db, bread, shop)
    assert (stock.on_hand, stock.reserved, stock.backordered) == (2, 2, 3)
    with pytest.raises(service.StockError, match="backordered_not_received"):
        await db.run(settled, service.consume, "order:1", None)
    await _stock(db, bread, shop, 4)  # arriving stock fills the promise first
    stock = await level(db, bread, shop)
    assert (stock.on_hand, stock.reserved, stock.backordered) == (6, 5, 0)
    await db.run(settled, service.consume, "order:1", None)
    assert (await level(db, bread, shop)).on_hand == 1


async def test_stock_cannot_be_adjusted_below_what_is_reserved(db: Database) -> None:
    shop = await add_location(db, "shop", default=True)
    apple = await add_product(db, "apple")
    await _stock(db, apple, shop, 5)
    assert await _try_reserve(db, "order:1", [Line(apple, 4)], shop)
    with pytest.raises(service.StockError) as caught:
        await db.run(service.change_on_hand, service.Change(apple, shop, -2, MovementKind.ADJUSTMENT), None)
    assert caught.value.code == "below_reserved"
    assert caught.value.details == {"product_id": apple, "on_hand": 5, "reserved": 4}
    assert (await level(db, apple, shop)).on_hand == 5
