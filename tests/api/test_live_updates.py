"""Events reach exactly the sockets allowed to hear them, and a reconnect catches up exactly."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from backend.auth.rules import Permission, Role
from backend.kernel.db import Database
from tests.api.conftest import PASSWORD, PEOPLE, _add_people
from tests.conftest import _run
from tests.live import LiveServer, event_ids, session_cookie


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    _run(_seed(database_url))
    live = LiveServer(
        database_url, tmp_path, extra_env={"COMPTOIR_WEBSOCKET_HEARTBEAT_SECONDS": "0.5"}
    ).start()
    try:
        yield live
    finally:
        live.stop()


async def _seed(database_url: str) -> None:
    db = Database(database_url)
    try:
        await _add_people(db)
    finally:
        await db.dispose()


async def _cookie(server: LiveServer, role: Role) -> str:
    return await session_cookie(server.url, PEOPLE[role][0], PASSWORD)


def _ws_url(server: LiveServer, since: int | None = None) -> str:
    query = f"?since={since}" if since is not None else ""
    return f"ws://127.0.0.1:{server.port}/ws{query}"


async def _socket(server: LiveServer, cookie: str, since: int | None = None, origin: str | None = None):
    headers = {"Cookie": f"comptoir_session={cookie}"}
    return connect(
        _ws_url(server, since), additional_headers=headers, origin=origin or server.url, open_timeout=5
    )


async def _next_events(socket: ClientConnection, within: float = 5.0) -> list[int]:
    """Event ids of the next message that carries events (cursor-only messages are skipped)."""
    async with asyncio.timeout(within):
        while True:
            ids = event_ids(await socket.recv())
            if ids:
                return ids


async def _quiet(socket: ClientConnection, wait: float = 1.0) -> list[int]:
    """Event ids heard within ``wait`` seconds (expected: none)."""
    heard: list[int] = []
    try:
        async with asyncio.timeout(wait):
            while True:
                heard += event_ids(await socket.recv())
    except TimeoutError:
        return heard


async def _change_permissions(server: LiveServer, owner_cookie: str, staff_id: int, version: int) -> None:
    cookies = {"comptoir_session": owner_cookie}
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies, timeout=10) as client:
        await client.get("/me")
        data = {
            "permission": [Permission.ORDERS_VIEW.value],
            "version": str(version),
            "_csrf_token": client.cookies["csrftoken"],
        }
        response = await client.post(f"/team/{staff_id}/permissions", data=data)
        assert response.status_code == 303, response.text


@pytest.fixture
async def cookies(server: LiveServer) -> dict[Role, str]:
    return {role: await _cookie(server, role) for role in Role}


async def test_an_event_reaches_allowed_sockets_and_no_other(
    server: LiveServer, cookies: dict[Role, str]
) -> None:
    async with (
        await _socket(server, cookies[Role.OWNER]) as owner,
        await _socket(server, cookies[Role.STAFF]) as staff,
        await _socket(server, cookies[Role.DRIVER]) as driver,
        await _socket(server, cookies[Role.CUSTOMER]) as customer,
    ):
        await _change_permissions(server, cookies[Role.OWNER], staff_id=2, version=1)
        owner_heard = await _next_events(owner)
        staff_heard = await _next_events(staff)
        assert owner_heard == staff_heard
        assert await _quiet(driver) == []
        assert await _quiet(customer) == []


async def test_a_private_event_reaches_only_its_person(server: LiveServer, cookies: dict[Role, str]) -> None:
    async with (
        await _socket(server, cookies[Role.OWNER]) as owner,
        await _socket(server, cookies[Role.STAFF]) as staff,
    ):
        async with httpx.AsyncClient(
            base_url=server.url, cookies={"comptoir_session": cookies[Role.STAFF]}
        ) as client:
            await client.get("/me")
            data = {"name": "Sami S.", "version": "1", "_csrf_token": client.cookies["csrftoken"]}
            assert (await client.post("/me", data=data)).status_code == 303
        assert len(await _next_events(staff)) == 1
        assert await _quiet(owner) == []


async def test_a_reconnecting_socket_gets_exactly_what_it_missed(
    server: LiveServer, cookies: dict[Role, str]
) -> None:
    owner_cookie = cookies[Role.OWNER]
    async with await _socket(server, owner_cookie) as first:
        await _change_permissions(server, owner_cookie, staff_id=2, version=1)
        [seen] = await _next_events(first)
    await _change_permissions(server, owner_cookie, staff_id=2, version=2)
    await _change_permissions(server, owner_cookie, staff_id=3, version=1)
    async with await _socket(server, owner_cookie, since=seen) as again:
        missed = await _next_events(again)
        missed += await _next_events(again)
        assert missed == [seen + 1, seen + 2]
        assert await _quiet(again) == []


async def test_a_socket_from_another_site_or_without_a_session_is_refused(
    server: LiveServer, cookies: dict[Role, str]
) -> None:
    with pytest.raises(InvalidStatus):
        async with await _socket(server, cookies[Role.OWNER], origin="https://evil.example"):
            pass
    with pytest.raises(InvalidStatus):
        async with connect(_ws_url(server), origin=server.url, open_timeout=5):
            pass


async def test_a_quiet_socket_gets_heartbeats_carrying_the_cursor(
    server: LiveServer, cookies: dict[Role, str]
) -> None:
    async with await _socket(server, cookies[Role.CUSTOMER], since=0) as socket:
        async with asyncio.timeout(3):
            first = await socket.recv()
            second = await socket.recv()
    for message in (first, second):
        assert 'id="live-cursor"' in message
        assert event_ids(message) == []


async def test_live_messages_go_uncompressed_though_the_browser_offers_compression(
    server: LiveServer, cookies: dict[Role, str]
) -> None:
    async with await _socket(server, cookies[Role.CUSTOMER]) as socket:  # offers permessage-deflate
        assert socket.response.headers.get("Sec-WebSocket-Extensions") is None


async def _post(server: LiveServer, cookie: str, path: str, data: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=server.url, cookies={"comptoir_session": cookie}) as client:
        await client.get("/me")
        response = await client.post(path, data={**data, "_csrf_token": client.cookies["csrftoken"]})
        assert response.status_code == 303, response.text


async def test_catalog_changes_redraw_the_product_row_on_other_screens(
    server: LiveServer, cookies: dict[Role, str]
) -> None:
    product = {"sku": "TEA", "name": "Green tea", "price": "4.90", "currency": "EUR", "active": "on"}
    async with await _socket(server, cookies[Role.OWNER]) as owner:
        await _post(server, cookies[Role.STAFF], "/catalog/new", product)
        created = await _next_message_with(owner, 'id="product-1"')
        assert 'hx-swap-oob="afterbegin"' in created
        await _post(server, cookies[Role.STAFF], "/catalog/1", {**product, "price": "5.10", "version": "1"})
        updated = await _next_message_with(owner, 'id="product-1"')
    assert 'hx-swap-oob="true"' in updated
    assert "€5.10" in updated


async def test_stock_changes_redraw_the_figures_on_open_stock_pages(
    server: LiveServer, cookies: dict[Role, str]
) -> None:
    product = {"sku": "RICE", "name": "Rice", "price": "2.10", "currency": "EUR", "active": "on"}
    location = {"code": "WH", "name": "Warehouse", "kind": "warehouse", "is_default": "on"}
    await _post(server, cookies[Role.OWNER], "/catalog/new", product)
    await _post(server, cookies[Role.OWNER], "/locations/new", location)
    reorder = {"location": "1", "reorder_point": "5", "reorder_qty": "0", "seen_point": "0", "seen_qty": "0"}
    await _post(server, cookies[Role.OWNER], "/stock/products/1/reorder", reorder)
    async with await _socket(server, cookies[Role.OWNER]) as owner:
        adjustment = {"product": "RICE", "location": "1", "delta": "12", "reason": "Delivery"}
        await _post(server, cookies[Role.STAFF], "/stock/adjust", adjustment)
        # Each adjustment's figures arrive with the level's id, to replace what the page shows.
        filled = await _next_message_with(owner, "data-available>12 available")
        await _post(server, cookies[Role.STAFF], "/stock/adjust", {**adjustment, "delta": "-9"})
        emptied = await _next_message_with(owner, "data-available>3 available")
    assert 'id="level-1-1" hx-swap-oob="true"' in filled
    assert 'id="level-1-1" hx-swap-oob="true"' in emptied
    assert "Low stock" not in filled
    assert "Low stock" in emptied


async def _next_message_with(socket: ClientConnection, marker: str, within: float = 5.0) -> str:
    async with asyncio.timeout(within):
        while True:
            message = await socket.recv()
            if marker in message:
                return message
