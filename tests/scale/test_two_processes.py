"""Two app processes share one PostgreSQL database: an event committed through one reaches the
sockets of the other at once, woken by LISTEN/NOTIFY rather than by polling."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from backend.auth.rules import Role
from tests.api.conftest import PASSWORD, PEOPLE
from tests.api.test_live_updates import _next_events, _seed
from tests.conftest import _run, _wipe_postgres
from tests.live import LiveServer, session_cookie

POLL_SECONDS = 60  # so long that only a NOTIFY can explain a prompt delivery


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    _run(_wipe_postgres(postgres_url))
    _run(_seed(postgres_url))
    a = LiveServer(postgres_url, tmp_path, poll_seconds=POLL_SECONDS).start()
    b = LiveServer(postgres_url, tmp_path, poll_seconds=POLL_SECONDS).start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


async def test_an_event_committed_on_one_process_reaches_a_socket_on_the_other(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    a, b = two_servers
    owner_on_b = await session_cookie(b.url, PEOPLE[Role.OWNER][0], PASSWORD)
    owner_on_a = await session_cookie(a.url, PEOPLE[Role.OWNER][0], PASSWORD)  # sessions are shared too
    headers = {"Cookie": f"comptoir_session={owner_on_b}"}
    async with connect(f"ws://127.0.0.1:{b.port}/ws", additional_headers=headers, origin=b.url) as socket:
        async with httpx.AsyncClient(base_url=a.url, cookies={"comptoir_session": owner_on_a}) as client:
            await client.get("/me")
            data = {"permission": ["orders.view"], "version": "1", "_csrf_token": client.cookies["csrftoken"]}
            started = time.monotonic()
            assert (await client.post("/team/2/permissions", data=data)).status_code == 303
        heard = await _next_events(socket, within=5)
        elapsed = time.monotonic() - started
    assert len(heard) == 1
    assert elapsed < 5 < POLL_SECONDS


async def test_a_session_opened_on_one_process_is_valid_on_the_other(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    a, b = two_servers
    cookie = await session_cookie(a.url, PEOPLE[Role.STAFF][0], PASSWORD)
    async with httpx.AsyncClient(base_url=b.url, cookies={"comptoir_session": cookie}) as client:
        response = await client.get("/me")
    assert response.status_code == 200
    assert PEOPLE[Role.STAFF][1] in response.text
