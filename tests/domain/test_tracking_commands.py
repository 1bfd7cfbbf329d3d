"""The commands behind tracking, against a real database: a shared link is made once, whoever
asks again (at the same moment too) gets the same one; two first ratings of one order at once,
one is saved and the other is told the rating changed meanwhile."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from backend.kernel.events import Event
from backend.orders import ratings, sharing
from backend.orders import service as orders
from backend.orders.models import Order, OrderRating
from backend.orders.rules import OrderStatus
from tests.api.order_fixtures import draft
from tests.domain.conftest import Floor


async def _shared(floor: Floor, order_id: int, salt: str) -> str:
    key = sharing.link_key("secret")
    token_hash = sharing.token_hash(sharing.shared_token(key, order_id, salt))
    return await floor.db.run(sharing.share_link, floor.owner.user_id, order_id, salt, token_hash)


async def test_a_link_is_made_once_even_when_asked_twice_at_once(floor: Floor) -> None:
    placed = await orders.place_order(floor.db, floor.owner, draft())
    salts = await asyncio.gather(_shared(floor, placed.id, "a" * 32), _shared(floor, placed.id, "b" * 32))
    again = await _shared(floor, placed.id, "c" * 32)
    async with floor.db.read() as session:
        stored = (await session.execute(select(Order.share_salt, Order.share_token_hash))).one()
        shared = await session.scalar(select(func.count()).where(Event.type == "order.link_shared"))
    assert salts[0] == salts[1] == again == stored[0]
    key = sharing.link_key("secret")
    assert stored[1] == sharing.token_hash(sharing.shared_token(key, placed.id, stored[0]))
    assert shared == 1


async def test_two_first_ratings_at_once_save_one_and_tell_the_other(floor: Floor) -> None:
    placed = await orders.place_order(floor.db, floor.owner, draft())
    for status in (
        OrderStatus.ACCEPTED,
        OrderStatus.PICKING,
        OrderStatus.PACKED,
        OrderStatus.OUT_FOR_DELIVERY,
        OrderStatus.DELIVERED,
    ):
        await orders.transition_order(floor.db, floor.owner, placed.id, status)
    wanted = [ratings.RatingInput(placed.id, stars, "", 0) for stars in (5, 1)]
    results = await asyncio.gather(
        *(floor.db.run(ratings.rate_order, w) for w in wanted), return_exceptions=True
    )
    saved = [r for r in results if isinstance(r, ratings.Rating)]
    refused = [r for r in results if isinstance(r, ratings.StaleRating)]
    assert len(saved) == len(refused) == 1
    async with floor.db.read() as session:
        rows = list(await session.scalars(select(OrderRating)))
    assert [(row.stars, row.version) for row in rows] == [(saved[0].stars, 1)]
