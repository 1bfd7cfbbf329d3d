"""Order events redraw open acceptance queues, and reach only people who may see orders."""

from __future__ import annotations

import asyncio

import httpx
from websockets.asyncio.client import ClientConnection

from backend.auth.rules import Permission, Role
from backend.kernel.db import Database
from backend.kernel.events import events_held_back, latest_event_id
from backend.orders import service
from backend.orders.views import PlacedOrder
from tests.api.order_fixtures import actor_for, draft
from tests.api.test_live_updates import _cookie, _quiet, _socket
from tests.live import LiveServer

STAFF_ID, OWNER_ID = 2, 1


async def _in_the_database(database_url: str, work) -> object:
    """Orders change in another process than the server's: the event log carries them over."""
    db = Database(database_url)
    try:
        return await work(db)
    finally:
        await db.dispose()


async def _place(database_url: str) -> PlacedOrder:
    actor = actor_for(Role.STAFF, STAFF_ID)
    return await _in_the_database(database_url, lambda db: service.place_order(db, actor, draft()))


async def _latest_event_id(db: Database) -> int:
    """After every event committed so far. On PostgreSQL one may wait a moment for an older
    transaction (the server's own, e.g. a session's) to end before it is settled."""
    async with asyncio.timeout(5):
        while True:
            async with db.read() as session:
                if not await events_held_back(session):
                    return await latest_event_id(session)
            await asyncio.sleep(0.02)


async def _next_message_with(socket: ClientConnection, needle: str, within: float = 5.0) -> str:
    async with asyncio.timeout(within):
        while True:
            message = await socket.recv()
            if needle in message:
                return message


async def _withdraw_orders_view(live_shop: LiveServer, owner_cookie: str) -> None:
    async with httpx.AsyncClient(
        base_url=live_shop.url, cookies={"comptoir_session": owner_cookie}
    ) as client:
        await client.get("/me")
        data = {
            "permission": [Permission.ACTIVITY_VIEW.value],
            "version": "1",
            "_csrf_token": client.cookies["csrftoken"],
        }
        response = await client.post(f"/team/{STAFF_ID}/permissions", data=data)
        assert response.status_code == 303, response.text


async def test_a_new_order_goes_on_top_of_open_queues_and_reaches_no_one_else(
    live_shop: LiveServer, database_url: str
) -> None:
    cookies = {role: await _cookie(live_shop, role) for role in Role}
    await _withdraw_orders_view(live_shop, cookies[Role.OWNER])
    # As a page does: the sockets resume after what was already in the log (the tailer may
    # publish the permission change a moment after they connect).
    seen = await _in_the_database(database_url, _latest_event_id)
    async with (
        await _socket(live_shop, cookies[Role.OWNER], since=seen) as owner,
        await _socket(live_shop, cookies[Role.STAFF], since=seen) as staff_without_orders,
        await _socket(live_shop, cookies[Role.DRIVER], since=seen) as driver,
        await _socket(live_shop, cookies[Role.CUSTOMER], since=seen) as customer,
    ):
        order = await _place(database_url)
        message = await _next_message_with(owner, "order-queue")
        assert '<ol id="order-queue" hx-swap-oob="afterbegin">' in message
        assert f'hx-get="/orders/{order.id}/card"' in message
        assert f"New order {order.number}" in message
        for socket in (staff_without_orders, driver, customer):
            assert await _quiet(socket, wait=0.7) == []


async def test_decisions_and_holds_redraw_or_remove_the_card(
    live_shop: LiveServer, database_url: str
) -> None:
    order = await _place(database_url)
    owner_actor = actor_for(Role.OWNER, OWNER_ID)
    async with await _socket(live_shop, await _cookie(live_shop, Role.OWNER)) as owner:
        held = await _in_the_database(
            database_url, lambda db: service.hold_order(db, owner_actor, order.id, "Call first")
        )
        redraw = await _next_message_with(owner, f'id="queue-card-{order.id}"')
        assert 'hx-swap-oob="true"' in redraw
        assert f'hx-get="/orders/{order.id}/card"' in redraw
        await _in_the_database(
            database_url, lambda db: service.accept_order(db, owner_actor, order.id, version=held.version)
        )
        # The activity feed's own message about the order may come first: wait for the removal.
        await _next_message_with(owner, f'<li id="queue-card-{order.id}" hx-swap-oob="delete"></li>')


async def test_every_change_of_an_order_redraws_its_open_page(
    live_shop: LiveServer, database_url: str
) -> None:
    order = await _place(database_url)
    owner_actor = actor_for(Role.OWNER, OWNER_ID)
    live = f'<div id="order-live-{order.id}" hidden hx-swap-oob="true" hx-get="/orders/{order.id}"'
    async with await _socket(live_shop, await _cookie(live_shop, Role.OWNER)) as owner:
        held = await _in_the_database(
            database_url, lambda db: service.hold_order(db, owner_actor, order.id, "Call first")
        )
        assert 'hx-select-oob="#order-summary,' in await _next_message_with(owner, live)
        accepted = await _in_the_database(
            database_url, lambda db: service.accept_order(db, owner_actor, order.id, version=held.version)
        )
        await _next_message_with(owner, live)
        await _in_the_database(
            database_url,
            lambda db: service.cancel_order(
                db, owner_actor, order.id, "Called off", version=accepted.version
            ),
        )
        await _next_message_with(owner, live)
