"""A customer's socket hears their own orders change, in the tracking page's words, and nobody
else's: not another customer's orders, not the shop's notes, not who did it."""

from __future__ import annotations

from backend.auth.rules import Role
from backend.auth.service import create_user
from backend.orders import service
from backend.orders.views import PlacedOrder
from tests.api.conftest import PASSWORD, PEOPLE
from tests.api.order_fixtures import actor_for, draft
from tests.api.test_live_updates import _quiet, _socket
from tests.api.test_order_queue_live import (
    OWNER_ID,
    STAFF_ID,
    _in_the_database,
    _latest_event_id,
    _next_message_with,
)
from tests.live import LiveServer, session_cookie

CUSTOMER_ID = 4  # the fourth of PEOPLE


async def _place_for(database_url: str, account: int) -> PlacedOrder:
    """Placed in the shop by the signed-in customer ``account``: the order joins their account."""
    actor = actor_for(Role.CUSTOMER, account)
    return await _in_the_database(
        database_url, lambda db: service.place_order(db, actor, draft(channel="storefront"))
    )


async def test_a_customer_hears_their_own_order_accepted_and_nothing_of_anyone_elses(
    live_shop: LiveServer, database_url: str
) -> None:
    other = await _in_the_database(
        database_url,
        lambda db: create_user(db, "paul@shop.test", "Paul Shopper", Role.CUSTOMER, PASSWORD),
    )
    mine_cookie = await session_cookie(live_shop.url, PEOPLE[Role.CUSTOMER][0], PASSWORD)
    other_cookie = await session_cookie(live_shop.url, "paul@shop.test", PASSWORD)
    mine, theirs = await _place_for(database_url, CUSTOMER_ID), await _place_for(database_url, other.id)
    seen = await _in_the_database(database_url, _latest_event_id)
    async with (
        await _socket(live_shop, mine_cookie, since=seen) as customer,
        await _socket(live_shop, other_cookie, since=seen) as other_customer,
    ):
        staff = actor_for(Role.STAFF, STAFF_ID)
        await _in_the_database(database_url, lambda db: service.accept_order(db, staff, mine.id))

        message = await _next_message_with(customer, "data-orders-changed")
        assert f"Order {mine.number}: Accepted by the shop" in message
        assert 'data-orders-changed="true"' in message
        for staff_only in (PEOPLE[Role.STAFF][1], "queue-card", "order-live", 'id="activity"', theirs.number):
            assert staff_only not in message
        assert await _quiet(other_customer, wait=0.7) == []

        owner = actor_for(Role.OWNER, OWNER_ID)
        await _in_the_database(database_url, lambda db: service.hold_order(db, owner, theirs.id, "Odd card"))
        told = await _next_message_with(other_customer, "data-orders-changed")
        assert f"Order {theirs.number}: Being checked by the shop" in told
        assert "Odd card" not in told
        assert await _quiet(customer, wait=0.7) == []
