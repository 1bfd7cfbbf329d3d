"""The disk under the SQLite database fills up while the real server runs, then space comes back.

The data directory lives on a tmpfs of the test's own, filled to the last byte by a ballast file:
what SQLite meets is a real ENOSPC, on its log as on its database file. Writes must be refused with
a 503 that says why and when to come back (never a 500, never a traceback in the log), ``/health``
must say the database is failing, and once the ballast is gone the same server process must take
orders and sign people in again without being restarted.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.auth.service import create_api_token
from backend.kernel import migrations
from backend.kernel.db import Database
from backend.orders.models import Order
from tests.api.conftest import PASSWORD, PEOPLE, _add_people
from tests.api.order_fixtures import build_shop
from tests.conftest import _run
from tests.live import LiveServer
from tests.scale.mounts import fill, tmpfs

SIZE_MIB = 48
MAX_TRIES = 100  # orders sent while full: the first ones may still fit in space SQLite already holds
RECOVERY_SECONDS = 30
OWNER = PEOPLE[Role.OWNER][0]


@dataclass
class FullDisk:
    server: LiveServer
    token: str
    mount: Path
    url: str


async def _seed(url: str) -> str:
    db = Database(url)
    try:
        await _add_people(db)
        await build_shop(db, {"APPLE": (0, 1000)})
        return await create_api_token(db, OWNER, "disk-full")
    finally:
        await db.dispose()


async def _orders(url: str) -> int:
    db = Database(url)
    try:
        async with db.read() as session:
            return int(await session.scalar(select(func.count()).select_from(Order)) or 0)
    finally:
        await db.dispose()


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[FullDisk]:
    with tmpfs(tmp_path / "disk", SIZE_MIB) as mount:
        data_dir = mount / "data"
        data_dir.mkdir()
        url = f"sqlite+aiosqlite:///{data_dir / 'comptoir.db'}"
        migrations.upgrade(url)
        token = _run(_seed(url))
        server = LiveServer(url, data_dir, log_file=tmp_path / "server.log")
        try:
            server.start()
            yield FullDisk(server, token, mount, url)
        finally:
            server.stop()


def _order(client: httpx.Client) -> httpx.Response:
    body = {
        "customer": {"name": "Disk", "email": "disk@example.com"},
        "lines": [{"sku": "APPLE", "quantity": 1}],
        "fulfilment_mode": "pickup",
        "location": "BTQ",
        "payment_method": "card",
        "channel": "staff",
    }
    return client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


def _sign_in(client: httpx.Client) -> httpx.Response:
    client.get("/login")
    data = {"email": OWNER, "password": PASSWORD, "_csrf_token": client.cookies["csrftoken"]}
    return client.post("/login", data=data, headers={"Accept": "text/html"})


def _sign_ins_until_refused(client: httpx.Client) -> httpx.Response:
    """A sign-in writes a session row, smaller than an order: it may still fit in pages the file
    already has (the log's, the free list's) after an order no longer does."""
    for _ in range(MAX_TRIES):
        response = _sign_in(client)
        if response.status_code != 303:
            return response
        client.cookies.clear()
    pytest.fail(f"{MAX_TRIES} sign-ins on a full disk")


def _orders_until_refused(api: httpx.Client) -> tuple[int, httpx.Response]:
    for placed in range(MAX_TRIES):
        response = _order(api)
        if response.status_code != 201:
            return placed, response
    pytest.fail(f"{MAX_TRIES} orders placed on a full disk")


def _healthy_within(client: httpx.Client, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while (response := client.get("/health")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    return response


def test_a_full_disk_answers_503_and_the_server_recovers_by_itself_once_space_is_back(
    full_disk: FullDisk,
) -> None:
    server = full_disk.server
    auth = {"Authorization": f"Bearer {full_disk.token}"}
    with (
        httpx.Client(base_url=server.url, headers=auth, timeout=30) as api,
        httpx.Client(base_url=server.url, timeout=30) as browser,
    ):
        assert _order(api).status_code == 201
        ballast = fill(full_disk.mount)

        placed_while_full, refused = _orders_until_refused(api)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "30"
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "disk is full" in refused.json()["detail"]

        health = api.get("/health")
        assert health.status_code == 503
        assert health.json()["database"] == "failing"
        assert health.headers["retry-after"] == "30"

        page = _sign_ins_until_refused(browser)  # a sign-in writes its session: a page, not JSON
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["retry-after"] == "30"
        assert "disk is full" in page.text

        ballast.unlink()
        assert _healthy_within(api, RECOVERY_SECONDS).status_code == 200
        assert _order(api).status_code == 201
        assert _sign_in(browser).status_code == 303

    assert server.process is not None
    assert server.process.poll() is None  # the same process, still up
    assert _run(_orders(full_disk.url)) == 1 + placed_while_full + 1  # nothing refused was saved
    log = server.log_file.read_text() if server.log_file else ""
    assert "Traceback" not in log
    assert "cannot write for POST /api/v1/orders: database or disk is full" in log
