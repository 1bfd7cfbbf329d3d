"""A tracking page's socket: opened with the tracking token, it hears that its own order changed,
and nothing else: not the shop's words, not other orders."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from backend.auth.rules import Role
from backend.orders import service
from backend.orders.views import PlacedOrder
from tests.api.order_fixtures import actor_for
from tests.api.test_order_queue_live import OWNER_ID, _in_the_database, _place
from tests.live import LiveServer


def _tracking_socket(server: LiveServer, token: str, origin: str | None = None):
    url = f"ws://127.0.0.1:{server.port}/t/{token}/live"
    return connect(url, origin=origin or server.url, open_timeout=5)


async def _next_message(socket: ClientConnection, within: float = 5.0) -> str:
    async with asyncio.timeout(within):
        return await socket.recv()


async def _heard(socket: ClientConnection, wait: float) -> list[str]:
    """Every message within ``wait`` seconds (expected: none)."""
    heard: list[str] = []
    try:
        async with asyncio.timeout(wait):
            while True:
                heard.append(await socket.recv())
    except TimeoutError:
        return heard


async def _hold(database_url: str, order: PlacedOrder, reason: str) -> None:
    owner = actor_for(Role.OWNER, OWNER_ID)
    await _in_the_database(database_url, lambda db: service.hold_order(db, owner, order.id, reason))


async def test_a_change_of_the_order_reaches_its_tracking_page_and_only_as_a_change(
    live_shop: LiveServer, database_url: str
) -> None:
    mine, other = await _place(database_url), await _place(database_url)
    async with (
        _tracking_socket(live_shop, mine.tracking_token) as page,
        _tracking_socket(live_shop, other.tracking_token) as other_page,
    ):
        # The server's tailer may announce the two placements only now (it reads the log every 0.2 s).
        await asyncio.gather(_heard(page, wait=0.6), _heard(other_page, wait=0.6))
        await _hold(database_url, mine, "Fraud check: same card as a chargeback")

        message = await _next_message(page)
        assert '<span id="tracking-changed" hidden hx-swap-oob="true"' in message
        assert not any(staff_only in message for staff_only in ("Fraud", "toast", "queue-card", "order-live"))
        assert await _heard(other_page, wait=0.7) == []
        assert await _heard(page, wait=0.5) == []  # once: no heartbeat, no second copy


async def test_an_unknown_link_or_another_site_cannot_open_a_tracking_socket(
    live_shop: LiveServer, database_url: str
) -> None:
    order = await _place(database_url)
    with pytest.raises(InvalidStatus):
        async with _tracking_socket(live_shop, "not-a-token"):
            pass
    with pytest.raises(InvalidStatus):
        async with _tracking_socket(live_shop, order.tracking_token, origin="https://evil.example"):
            pass
