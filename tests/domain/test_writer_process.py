"""The writer process: what crosses between it and the app, and what happens when it dies."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.app import create_app
from backend.kernel.db import Database
from backend.kernel.numbering import Counter
from backend.kernel.tx import Tx
from backend.kernel.writer import WriterClosed
from backend.kernel.writer_process import ProcessWriter, WriterError
from backend.orders.errors import OutOfStock, ShortLine
from tests.api.conftest import test_settings


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    if not database_url.startswith("sqlite"):
        pytest.skip("the writer process exists on SQLite only")
    database = Database(database_url)
    yield database
    await database.dispose()


def _insert(tx: Tx, name: str) -> None:
    tx.execute("INSERT INTO counters (name, value) VALUES (:name, 1)", {"name": name})


def _short(tx: Tx) -> None:
    _insert(tx, "short")
    raise OutOfStock([ShortLine("TEA-1", 3, 1)], "MAIN")


def _a_lock(tx: Tx) -> object:
    _insert(tx, "lock")
    return threading.Lock()


class _Carrying(Exception):
    def __init__(self) -> None:
        super().__init__("carrying a lock")
        self.lock = threading.Lock()


def _raises_a_lock(tx: Tx) -> None:
    raise _Carrying


def _sleep_until(tx: Tx, gate: str) -> None:
    deadline = time.monotonic() + 10
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.005)


async def _names(db: Database) -> set[str]:
    async with db.read() as session:
        return set(await session.scalars(select(Counter.name)))


async def test_a_domain_error_crosses_whole_and_writes_nothing(db: Database) -> None:
    with pytest.raises(OutOfStock) as raised:
        await db.run(_short)
    assert raised.value.short == [ShortLine("TEA-1", 3, 1)]
    assert raised.value.location == "MAIN"
    assert raised.value.args == ("insufficient_stock",)
    assert await _names(db) == set()


async def test_a_result_that_cannot_cross_is_an_error_and_writes_nothing(db: Database) -> None:
    with pytest.raises(WriterError, match="cannot be pickled"):
        await db.run(_a_lock)
    assert await _names(db) == set()
    await db.run(_insert, "after")  # the writer goes on
    assert await _names(db) == {"after"}


async def test_an_error_that_cannot_cross_is_named(db: Database) -> None:
    with pytest.raises(WriterError, match="_Carrying"):
        await db.run(_raises_a_lock)


async def test_a_dead_writer_answers_its_callers_instead_of_leaving_them_waiting(
    db: Database, tmp_path: Path
) -> None:
    await db.run(_insert, "before")
    waiting = asyncio.create_task(db.run(_sleep_until, str(tmp_path / "never")))
    await asyncio.sleep(0.1)
    (child,) = [child for child in multiprocessing.active_children() if child.name == "sqlite-writer"]
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    with pytest.raises(WriterClosed):
        await asyncio.wait_for(waiting, 5)
    with pytest.raises(WriterClosed):
        await db.run(_insert, "after")
    assert await _names(db) == {"before"}


async def test_a_sigterm_to_the_writer_process_leaves_its_end_to_the_app(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A service manager stops a service by signalling its whole process group: the app finishes
    what it serves, then stops its writer itself, with nothing to report."""
    await asyncio.to_thread(db.start_writer)
    (child,) = [child for child in multiprocessing.active_children() if child.name == "sqlite-writer"]
    assert child.pid is not None
    os.kill(child.pid, signal.SIGTERM)
    await asyncio.sleep(0.2)
    await db.run(_insert, "after the signal")
    assert child.is_alive()
    with caplog.at_level(logging.INFO, logger="comptoir.writer"):
        await db.dispose()
    assert child.exitcode == 0
    assert caplog.records == []
    assert await _names(db) == {"after the signal"}


async def test_the_app_writes_through_a_writer_process(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no writer")
    app = create_app(test_settings(tmp_path, database_url))
    async with app.lifespan():
        assert isinstance(app.state.db._sqlite_writer(), ProcessWriter)
        assert [child for child in multiprocessing.active_children() if child.name == "sqlite-writer"]
