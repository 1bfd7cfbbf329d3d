"""An app per test, driven in-process through httpx with its lifespan running in the test's loop."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from sqlalchemy import select

from backend.app import create_app
from backend.auth.models import ApiToken, User
from backend.auth.principal import hash_credential
from backend.auth.rules import ROLE_PERMISSIONS, Permission, Role
from backend.auth.service import create_api_token
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from tests.api.order_fixtures import build_shop
from tests.conftest import _run
from tests.live import LiveServer
from tests.writing import add, add_all

PASSWORD = "correct horse battery"
_HASH = PasswordHasher().hash(PASSWORD)  # hashing once keeps account fixtures fast

PEOPLE = {
    Role.OWNER: ("owner@shop.test", "Olive Owner"),
    Role.STAFF: ("staff@shop.test", "Sami Staff"),
    Role.DRIVER: ("driver@shop.test", "Dani Driver"),
    Role.CUSTOMER: ("customer@shop.test", "Cleo Customer"),
}


@dataclass
class Harness:
    app: Litestar
    db: Database
    settings: Settings
    users: dict[Role, User]

    def client(self, address: str = "203.0.113.7") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        scheme = "https" if self.settings.is_https else "http"
        return httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver")

    @contextlib.asynccontextmanager
    async def signed_in(self, role: Role) -> AsyncIterator[httpx.AsyncClient]:
        async with self.client() as client:
            response = await sign_in(client, PEOPLE[role][0], PASSWORD)
            assert response.status_code == 303, response.text
            yield client

    async def token(self, role: Role) -> str:
        if Permission.API_USE in ROLE_PERMISSIONS[role]:
            return await create_api_token(self.db, PEOPLE[role][0], "tests")
        # Roles without api.use cannot be given a token; one issued before that rule must fail.
        return await unchecked_token(self.db, self.users[role].id)


async def unchecked_token(db: Database, user_id: int, **columns: object) -> str:
    """A token row written directly, bypassing the rules for creating one."""
    raw = "cmp_" + secrets.token_urlsafe(32)
    await db.run(add, ApiToken(token_hash=hash_credential(raw), user_id=user_id, label="tests", **columns))
    return raw


async def csrf_token(client: httpx.AsyncClient) -> str:
    if "csrftoken" not in client.cookies:
        await client.get("/login")
    return client.cookies["csrftoken"]


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    token = await csrf_token(client)
    return await client.post("/login", data={"email": email, "password": password, "_csrf_token": token})


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict[str, object], **kwargs: object
) -> httpx.Response:
    return await client.post(url, data={**data, "_csrf_token": await csrf_token(client)}, **kwargs)


def test_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    base = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-" + "x" * 40,
        log_requests=False,
        tailer_poll_seconds=0.2,
    )
    return replace(base, **overrides)


test_settings.__test__ = False  # a helper, not a test


async def _add_people(db: Database) -> dict[Role, User]:
    rows = [
        User(email=email, name=name, role=role.value, password_hash=_HASH)
        for role, (email, name) in PEOPLE.items()
    ]
    ids = await db.run(add_all, rows)
    async with db.read() as session:
        users = {user.id: user for user in await session.scalars(select(User).where(User.id.in_(ids)))}
    return {role: users[user_id] for role, user_id in zip(PEOPLE, ids, strict=True)}


MakeHarness = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_harness(tmp_path: Path, database_url: str) -> AsyncIterator[MakeHarness]:
    """Build an app with chosen settings; its lifespan runs until the test ends."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def serve(app: Litestar, started: asyncio.Event, stop: asyncio.Event) -> None:
        # Fixture setup and teardown run in different tasks; the lifespan must stay in one.
        async with app.lifespan():
            started.set()
            await stop.wait()

    async def build(**overrides: object) -> Harness:
        settings = test_settings(tmp_path, database_url, **overrides)
        app = create_app(settings)
        started, stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(serve(app, started, stop))
        await asyncio.wait_for(started.wait(), 60)  # the first app waits for the writer's fork server
        # Tests that touch expired rows must not race the app's first purge.
        await asyncio.wait_for(app.state.housekept.wait(), 10)
        users = await _add_people(app.state.db) if not running else {}
        running.append((stop, task))
        return Harness(app, app.state.db, settings, users)

    yield build
    for stop, task in reversed(running):
        stop.set()
        await task


@pytest.fixture
async def harness(make_harness: MakeHarness) -> Harness:
    return await make_harness()


async def _seed_shop(database_url: str) -> None:
    db = Database(database_url)
    try:
        await _add_people(db)
        await build_shop(db)
    finally:
        await db.dispose()


@pytest.fixture
def live_shop(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The real server in a process of its own, over the team and a small shop (``order_fixtures``):
    for what needs real sockets, with orders changed from another process."""
    _run(_seed_shop(database_url))
    live = LiveServer(database_url, tmp_path).start()
    try:
        yield live
    finally:
        live.stop()
