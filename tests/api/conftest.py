"""An app per test, driven in-process through httpx with its lifespan running in the test's loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from litestar import Litestar

from backend.app import create_app
from backend.auth import passwords
from backend.auth.models import User
from backend.auth.rules import Role
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from backend.web.plugin import DomainPlugin
from tests.api.order_fixtures import build_shop
from tests.conftest import _run
from tests.live import LiveServer
from tests.people import PASSWORD, PEOPLE, token_for, unchecked_token
from tests.people import add_people as _add_people

__all__ = ["PASSWORD", "PEOPLE", "_add_people", "unchecked_token"]  # what other test modules import

# The in-process app hashes and verifies with the cheapest Argon2id parameters: the default ones
# cost about 0.1 s of CPU per sign-in (much more on a busy machine), and an API test signs in a lot.
# The people it seeds carry a hash of the same parameters, so no sign-in rehashes them.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_FAST_HASH = _FAST_HASHER.hash(PASSWORD)
_FAST_DUMMY_HASH = _FAST_HASHER.hash("comptoir-timing-equaliser")


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
        return await token_for(self.db, self.users, role)


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


async def caught_up(app: Litestar, seconds: float = 5.0) -> None:
    """Let the app's tailer read the log up to now, as it would within its next rounds: on
    PostgreSQL an event committed behind a transaction still open elsewhere is held back a moment
    (``backend/kernel/events.py``), so read again until nothing is."""
    deadline = asyncio.get_running_loop().time() + seconds
    while await app.state.tailer.publish_new():
        assert asyncio.get_running_loop().time() < deadline, "events held back for too long"
        await asyncio.sleep(0.02)


def test_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    base = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-" + "x" * 40,
        log_requests=False,
        tailer_poll_seconds=0.2,
        push_loopback_only=True,  # no notification ever leaves the machine
    )
    return replace(base, **overrides)


test_settings.__test__ = False  # a helper, not a test


MakeHarness = Callable[..., Awaitable[Harness]]


class AppPool:
    """Built apps kept for the next test with the same settings but for its folder and database.

    Building the app (its plugins, routes and handlers' signatures) is most of what a test costs
    in CPU, and what it builds does not depend on either. A test gets an app no other running test
    holds, its settings, database and every plugin's per-process objects (caches, readers) made
    afresh, and starts it: the lifespan then makes the rest (the writer, the tailer, the
    dispatcher) as for a new app. Whatever a test left on the app's state is dropped."""

    def __init__(self) -> None:
        self.free: dict[str, list[tuple[Litestar, frozenset[str]]]] = defaultdict(list)
        self.made: dict[int, frozenset[str]] = {}

    def take(self, shape: str, settings: Settings) -> Litestar:
        if not self.free[shape]:
            app = create_app(settings)
            self.made[id(app)] = frozenset(app.state.dict())
            return app
        app, made = self.free[shape].pop()
        for name in set(app.state.dict()) - made:
            del app.state[name]
        app.state.settings = settings
        app.state.db = Database(settings.database_url)
        site = app.state.site
        for plugin in app.plugins.init:
            if isinstance(plugin, DomainPlugin) and plugin.state is not None:
                for name, value in plugin.state(site).items():
                    site.state[name] = app.state[name] = value
        return app

    def give_back(self, shape: str, app: Litestar) -> None:
        self.free[shape].append((app, self.made[id(app)]))


_APPS = AppPool()  # one per test process


@pytest.fixture
async def make_harness(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MakeHarness]:
    """Build an app with chosen settings; its lifespan runs until the test ends."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []
    taken: list[tuple[str, Litestar]] = []
    monkeypatch.setattr(passwords, "_hasher", _FAST_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", _FAST_DUMMY_HASH)

    async def serve(app: Litestar, started: asyncio.Event, stop: asyncio.Event) -> None:
        # Fixture setup and teardown run in different tasks; the lifespan must stay in one.
        async with app.lifespan():
            started.set()
            await stop.wait()

    async def build(**overrides: object) -> Harness:
        settings = test_settings(tmp_path, database_url, **overrides)
        shape = repr(sorted(overrides.items()))
        app = _APPS.take(shape, settings)
        taken.append((shape, app))
        started, stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(serve(app, started, stop))
        await asyncio.wait_for(started.wait(), 60)  # the first app waits for the writer's fork server
        # Tests that touch expired rows must not race the app's first purge.
        await asyncio.wait_for(app.state.housekept.wait(), 10)
        users = await _add_people(app.state.db, _FAST_HASH) if not running else {}
        running.append((stop, task))
        return Harness(app, app.state.db, settings, users)

    yield build
    for stop, task in reversed(running):
        stop.set()
        await task
    for shape, app in taken:
        _APPS.give_back(shape, app)


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
