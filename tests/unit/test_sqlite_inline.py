"""On SQLite, the app's async sessions call the driver in the event loop's own thread
(``backend.kernel.sqlite_inline``): no hop to a thread and back for each call."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from backend.kernel.db import Database


async def test_reads_run_in_the_loops_thread(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    seen: list[int] = []

    @event.listens_for(db.read_engine.sync_engine, "connect")
    def remember(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.create_function("thread", 0, threading.get_ident)  # type: ignore[attr-defined]

    threads = threading.active_count()
    try:
        async with db.read() as session:
            seen.append(await session.scalar(text("SELECT thread()")))
            rows = (await session.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
        assert [row[0] for row in rows] == [1, 2]
        assert seen == [threading.get_ident()]
        assert threading.active_count() == threads  # no connection thread was started
    finally:
        await db.dispose()


async def test_a_failing_statement_raises_and_the_session_reads_on(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    try:
        async with db.read() as session:
            with pytest.raises(OperationalError, match="no such table"):
                await session.execute(text("SELECT * FROM nowhere"))
            assert await session.scalar(text("SELECT 41 + 1")) == 42
    finally:
        await db.dispose()
