"""Two app processes share one PostgreSQL database: racing placements never oversell, and one
idempotency key still makes one order, whichever process each request reaches."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from backend.auth.models import User
from backend.auth.service import create_api_token
from backend.kernel.db import Database
from backend.orders.models import Order
from tests.api.order_fixtures import build_shop
from tests.conftest import _run, _wipe_postgres
from tests.live import LiveServer
from tests.writing import add

BODY = {
    "customer": {"name": "Racer", "email": "racer@example.com"},
    "lines": [{"sku": "APPLE", "quantity": 1}],
    "fulfilment_mode": "pickup",
    "location": "BTQ",
    "payment_method": "card",
    "channel": "staff",
}


async def _seed(url: str) -> str:
    db = Database(url)
    try:
        await db.run(add, User(email="owner@race.test", name="Owner", role="owner", password_hash="x"))
        await build_shop(db, {"APPLE": (0, 10)})
        return await create_api_token(db, "owner@race.test", "race")
    finally:
        await db.dispose()


async def _orders(url: str) -> int:
    db = Database(url)
    try:
        async with db.read() as session:
            return await session.scalar(select(func.count()).select_from(Order))
    finally:
        await db.dispose()


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, list[LiveServer]]]:
    _run(_wipe_postgres(postgres_url))
    token = _run(_seed(postgres_url))
    servers = [LiveServer(postgres_url, tmp_path).start(), LiveServer(postgres_url, tmp_path).start()]
    try:
        yield token, servers
    finally:
        for server in servers:
            server.stop()


async def _post_everywhere(servers: list[LiveServer], token: str, count: int, **kwargs: object) -> list[int]:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    clients = [httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) for server in servers]
    try:
        answers = await asyncio.gather(
            *(clients[n % len(clients)].post("/api/v1/orders", **kwargs) for n in range(count))
        )
    finally:
        for client in clients:
            await client.aclose()
    return [answer.status_code for answer in answers]


async def test_forty_placements_over_two_processes_for_ten_units_make_ten_orders(
    two_servers, postgres_url
) -> None:
    token, servers = two_servers
    bodies = [{**BODY, "customer": {"name": f"R{n}", "email": f"r{n}@example.com"}} for n in range(40)]
    headers = {"Authorization": f"Bearer {token}"}
    clients = [httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) for server in servers]
    try:
        answers = await asyncio.gather(
            *(clients[n % 2].post("/api/v1/orders", json=body) for n, body in enumerate(bodies))
        )
    finally:
        for client in clients:
            await client.aclose()
    assert sorted(answer.status_code for answer in answers) == [201] * 10 + [409] * 30
    assert await _orders(postgres_url) == 10


async def test_one_idempotency_key_over_two_processes_makes_one_order(two_servers, postgres_url) -> None:
    token, servers = two_servers
    statuses = await _post_everywhere(servers, token, 50, json=BODY, headers={"Idempotency-Key": "one-tap"})
    # Every duplicate waits on the key's unique index for the first, then gets its order.
    assert set(statuses) == {201}
    assert await _orders(postgres_url) == 1
