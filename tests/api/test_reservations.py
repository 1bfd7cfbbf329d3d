"""Reservations hold stock all-or-nothing, exactly, whatever the concurrency."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from backend.inventory import service
from backend.inventory.commands import release_stock, reserve_stock
from backend.inventory.models import Reservation, StockMovement
from backend.inventory.rules import Line, MovementKind
from backend.kernel.events import Event
from backend.kernel.tx import Tx
from backend.purchasing.reorder import draft_reorder
from tests.api.conftest import Harness
from tests.api.stock_fixtures import add_location, add_product, level
from tests.api.stock_helpers import receive_stock, settled


async def _stock(harness: Harness, product_id: int, location_id: int, quantity: int) -> None:
    await receive_stock(harness.db, product_id, location_id, quantity)


async def _try_reserve(harness: Harness, reference: str, lines: list[Line], location_id: int) -> bool:
    try:
        await harness.db.run(settled, service.reserve, reference, lines, location_id)
    except service.InsufficientStock:
        return False
    return True


async def test_fifty_concurrent_attempts_for_the_last_ten_units_hold_exactly_ten(harness: Harness) -> None:
    shop = await add_location(harness.db, "shop", default=True)
    apple = await add_product(harness.db, "apple")
    await _stock(harness, apple, shop, 10)
    outcomes = await asyncio.gather(
        *(_try_reserve(harness, f"order:{n}", [Line(apple, 1)], shop) for n in range(50))
    )
    assert outcomes.count(True) == 10
    stock = await level(harness.db, apple, shop)
    assert (stock.on_hand, stock.reserved) == (10, 10)
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Reservation)) == 10


async def _try_reserve_stock(harness: Harness, reference: str, lines: list[Line], location_id: int) -> bool:
    try:
        await reserve_stock(harness.db, reference, lines, location_id, on_low=draft_reorder)
    except service.InsufficientStock:
        return False
    return True


async def _stock_events(harness: Harness) -> list[Event]:
    async with harness.db.read() as session:
        return list(
            await session.scalars(select(Event).where(Event.type == "stock.changed").order_by(Event.id))
        )


async def test_fifty_concurrent_reserve_stock_calls_for_the_last_ten_units_hold_exactly_ten(
    harness: Harness,
) -> None:
    shop = await add_location(harness.db, "shop", default=True)
    apple, pear = await add_product(harness.db, "apple"), await add_product(harness.db, "pear")
    await _stock(harness, apple, shop, 10)
    await _stock(harness, pear, shop, 100)
    before = len(await _stock_events(harness))
    outcomes = await asyncio.gather(
        *(_try_reserve_stock(harness, f"order:{n}", [Line(pear, 1), Line(apple, 1)], shop) for n in range(50))
    )
    assert outcomes.count(True) == 10
    assert (
        (await level(harness.db, apple, shop)).reserved,
        (await level(harness.db, pear, shop)).reserved,
    ) == (
        10,
        10,
    )
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Reservation)) == 20
    # One event per committed batch (at most one per success), the last with the final figures.
    events = (await _stock_events(harness))[before:]
    assert 1 <= len(events) <= 10
    last = {(item["product_id"], item["reserved"]) for item in events[-1].data["levels"]}
    assert last <= {(apple, 10), (pear, 10)}
    assert events[-1].data["available"] in ({str(apple): 0, str(pear): 90}, {str(apple): 0}, {str(pear): 90})


async def test_release_stock_gives_back_and_records_one_event(harness: Harness) -> None:
    shop = await add_location(harness.db, "shop", default=True)
    apple = await add_product(harness.db, "apple")
    await _stock(harness, apple, shop, 10)
    held = await reserve_stock(
        harness.db, "order:1", [Line(apple, 3), Line(apple, 1)], shop, on_low=draft_reorder
    )
    assert [(item.product_id, item.quantity, item.backordered) for item in held] == [(apple, 4, 0)]
    before = len(await _stock_events(harness))
    given_back = await release_stock(harness.db, "order:1", on_low=draft_reorder)
    assert [(hold.product_id, hold.location_id, hold.quantity) for hold in given_back] == [(apple, shop, 4)]
    assert await release_stock(harness.db, "order:1", on_low=draft_reorder) == []
    events = (await _stock_events(harness))[before:]
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


async def test_a_reservation_is_all_or_nothing_and_names_every_short_line(harness: Harness) -> None:
    shop = await add_location(harness.db, "shop", default=True)
    apple, pear, plum = [await add_product(harness.db, sku) for sku in ("apple", "pear", "plum")]
    await _stock(harness, apple, shop, 5)
    await _stock(harness, pear, shop, 1)
    with pytest.raises(service.InsufficientStock) as caught:
        await harness.db.run(service.reserve, "order:1", [Line(apple, 2), Line(pear, 3), Line(plum, 1)], shop)
    assert [(s.product_id, s.wanted, s.available) for s in caught.value.shortages] == [
        (pear, 3, 1),
        (plum, 1, 0),
    ]
    assert (await level(harness.db, apple, shop)).reserved == 0


def _release_and_consume(tx: Tx, released: str, consumed: str) -> None:
    """Both in one transaction, as an order change might."""
    service.release(tx, released)
    service.consume(tx, consumed, None)
    service.settle(tx, None, draft_reorder)


async def test_release_gives_back_and_consume_turns_the_hold_into_a_sale(harness: Harness) -> None:
    shop = await add_location(harness.db, "shop", default=True)
    apple = await add_product(harness.db, "apple")
    await _stock(harness, apple, shop, 10)
    assert await _try_reserve(harness, "order:1", [Line(apple, 3), Line(apple, 1)], shop)
    assert await _try_reserve(harness, "order:2", [Line(apple, 2)], shop)
    await harness.db.run(_release_and_consume, "order:1", "order:2")
    stock = await level(harness.db, apple, shop)
    assert (stock.on_hand, stock.reserved) == (8, 0)
    async with harness.db.read() as session:
        ledger = await session.scalar(select(func.sum(StockMovement.quantity)))
        sale = await session.scalar(select(StockMovement).where(StockMovement.kind == "sale"))
    assert ledger == 8
    assert (sale.quantity, sale.reference) == (-2, "order:2")


async def test_backorder_products_may_go_short_and_the_shortfall_is_recorded(harness: Harness) -> None:
    shop = await add_location(harness.db, "shop", default=True)
    bread = await add_product(harness.db, "bread", backorder=True)
    await _stock(harness, bread, shop, 2)
    assert await _try_reserve(harness, "order:1", [Line(bread, 5)], shop)
    stock = await level(harness.db, bread, shop)
    assert (stock.on_hand, stock.reserved, stock.backordered) == (2, 2, 3)
    with pytest.raises(service.StockError, match="backordered_not_received"):
        await harness.db.run(settled, service.consume, "order:1", None)
    await _stock(harness, bread, shop, 4)  # arriving stock fills the promise first
    stock = await level(harness.db, bread, shop)
    assert (stock.on_hand, stock.reserved, stock.backordered) == (6, 5, 0)
    await harness.db.run(settled, service.consume, "order:1", None)
    assert (await level(harness.db, bread, shop)).on_hand == 1


async def test_stock_cannot_be_adjusted_below_what_is_reserved(harness: Harness) -> None:
    shop = await add_location(harness.db, "shop", default=True)
    apple = await add_product(harness.db, "apple")
    await _stock(harness, apple, shop, 5)
    assert await _try_reserve(harness, "order:1", [Line(apple, 4)], shop)
    with pytest.raises(service.StockError) as caught:
        await harness.db.run(
            service.change_on_hand, service.Change(apple, shop, -2, MovementKind.ADJUSTMENT), None
        )
    assert caught.value.code == "below_reserved"
    assert caught.value.details == {"product_id": apple, "on_hand": 5, "reserved": 4}
    assert (await level(harness.db, apple, shop)).on_hand == 5
