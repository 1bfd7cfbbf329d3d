"""Shared fixtures: one fresh database per test run and engine, wiped between tests.

API tests run on SQLite always, and on PostgreSQL too when COMPTOIR_TEST_POSTGRES_URL names a
server (an admin URL such as ``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``); the run
creates its own database there and drops it at the end.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from backend.kernel import migrations
from backend.models import Base

POSTGRES_ADMIN_URL = os.environ.get("COMPTOIR_TEST_POSTGRES_URL")
ENGINES = ["sqlite", *(["postgres"] if POSTGRES_ADMIN_URL else [])]


def _run(coro):
    """Run a coroutine to the end from synchronous code, in a thread of its own: Playwright's
    synchronous API keeps an event loop running in the main thread once browser tests start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _admin(statement: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's synchronous API keeps an event loop running in the main
    thread until the session ends, and asynchronous tests cannot start their own beside it."""
    items.sort(
        key=lambda item: item.get_closest_marker("browser") is not None or "browser" in item.path.parts
    )


# Modules whose every test runs on PostgreSQL alone, without the engine in its name.
POSTGRES_ONLY_MODULES = (
    "tests/api/test_event_order.py",
    "tests/scale/test_order_races.py",
    "tests/scale/test_two_processes.py",
)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``make test`` runs several test processes: each takes whole modules, and PostgreSQL's tests
    all go to one of them. A snapshot spans the whole server, so a transaction a test holds open
    in its database would hold back the live updates of a test running in another database at the
    same moment (``backend/kernel/events.py``)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByModuleAndEngine(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if "[postgres" in nodeid or nodeid.startswith(POSTGRES_ONLY_MODULES):
                return "postgres"
            return super()._split_scope(nodeid)

    return ByModuleAndEngine(config, log)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the collector off what every test shares (the code, the test modules): the tests make
    an app each, and the collections their garbage sets off then walk only what they made. The
    served app freezes its heap the same way (``backend/app.py``)."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this run's own."""
    if not POSTGRES_ADMIN_URL:
        pytest.skip("COMPTOIR_TEST_POSTGRES_URL is not set")
    name = f"comptoir_test_{uuid.uuid4().hex[:12]}"
    _run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        yield url
    finally:
        _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


async def _wipe_postgres(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "comptoir.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    _run(_wipe_postgres(url))
    yield url
