"""A customer's socket hears their own orders change, in the tracking page's words, and nobody
else's: not another customer's orders, not the shop's notes, not who did it; and the driver of a
run carrying one of their orders while its stop waits, as that order's tracking page does."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from websockets.asyncio.client import ClientConnection

from backend.auth.rules import Role
from backend.auth.service import create_user
from backend.delivery import service as delivery
from backend.delivery.rules import Fix
from backend.kernel.db import Database
from backend.orders import service
from backend.orders.views import PlacedOrder
from tests.api.conftest import PASSWORD, PEOPLE
from tests.api.order_fixtures import LYON, actor_for, draft
from tests.api.test_live_updates import _quiet, _socket
from tests.api.test_order_queue_live import (
    OWNER_ID,
    STAFF_ID,
    _in_the_database,
    _latest_event_id,
    _next_message_with,
)
from tests.api.test_tracking_live import _last_event_of, _own_run, _shop_of
from tests.api.tracking_fixtures import ONE, at_position, dropped_off, out_for_delivery, placed, staff
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


RUN_NEWS = re.compile(r'id="tracking-changed" hidden hx-swap-oob="true" data-event="(\d+)"')
ORDER_NEWS = re.compile(r'data-last-event="(\d+)" data-orders-changed="true"')


async def _heard_until(socket: ClientConnection, event_id: int) -> set[int]:
    """The events announced on the socket up to ``event_id`` (a run's as a tracking page's, an
    order's as "My orders'"): what comes before it and was not announced never will be."""
    heard: set[int] = set()
    async with asyncio.timeout(5):
        while event_id not in heard:
            message = await socket.recv()
            heard.update(int(found) for news in (RUN_NEWS, ORDER_NEWS) for found in news.findall(message))
    return heard


async def _told_until(socket: ClientConnection, needle: str) -> list[str]:
    told: list[str] = []
    async with asyncio.timeout(5):
        while not told or needle not in told[-1]:
            told.append(await socket.recv())
    return told


async def test_a_customer_hears_the_driver_of_the_run_carrying_their_order_only_while_it_waits(
    live_shop: LiveServer, database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    shop = _shop_of(db, tmp_path / "proofs")
    try:
        paul = await create_user(db, "paul@shop.test", "Paul Shopper", Role.CUSTOMER, PASSWORD)
        mine = await placed(shop, own=True)
        neighbour = await placed(shop, address=LYON)  # a later stop of the same run, not theirs
        paul_shopping = actor_for(Role.CUSTOMER, paul.id)  # another customer's, on another run
        theirs = await service.place_order(db, paul_shopping, draft(channel="storefront", lines=ONE))
        cookie = await session_cookie(live_shop.url, PEOPLE[Role.CUSTOMER][0], PASSWORD)
        paul_cookie = await session_cookie(live_shop.url, "paul@shop.test", PASSWORD)
        owner_cookie = await session_cookie(live_shop.url, PEOPLE[Role.OWNER][0], PASSWORD)
        async with (
            await _socket(live_shop, cookie) as customer,
            await _socket(live_shop, paul_cookie) as other_customer,
            await _socket(live_shop, owner_cookie) as team,
        ):
            run_id = await out_for_delivery(shop, mine, neighbour)  # no run when the socket opened
            other_run = await _own_run(shop, theirs)
            # Out for delivery: each socket joins its run before it passes that on.
            await _heard_until(customer, await _last_event_of(db, f"order:{mine.id}"))
            await _heard_until(other_customer, await _last_event_of(db, f"order:{theirs.id}"))

            await db.run(delivery.record_position, staff(shop), other_run, Fix(48.85, 2.34, 15))
            elsewhere = await _last_event_of(db, f"run:{other_run}")
            await at_position(shop, run_id, 48.86, 2.35)
            position = await _last_event_of(db, f"run:{run_id}")
            assert elsewhere not in await _heard_until(customer, position)  # another customer's driver

            await dropped_off(shop, run_id, mine)
            await _heard_until(customer, await _last_event_of(db, f"order:{mine.id}"))  # delivered
            await at_position(shop, run_id, 48.0, 3.0)  # on to the neighbour's door
            onwards = await _last_event_of(db, f"run:{run_id}")
            later = await placed(shop, own=True)
            assert onwards not in await _heard_until(customer, await _last_event_of(db, f"order:{later.id}"))

            await db.run(delivery.record_position, staff(shop), other_run, Fix(48.84, 2.33, 15))
            heard = await _heard_until(other_customer, await _last_event_of(db, f"run:{other_run}"))
            assert elsewhere in heard  # their own driver, and only theirs
            assert not heard & {position, onwards}

            # The team's socket hears the runs as it did: in its feed, never as a tracking page.
            told = await _told_until(team, f'data-last-event="{onwards}"')
            assert not any("tracking-changed" in message for message in told)
    finally:
        await db.dispose()
