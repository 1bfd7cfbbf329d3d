"""The health check's look at the database, shared by the checks that arrive while one runs.

Under load, a round trip to the database per health request queues behind page views for the same
pooled connections (on SQLite, each step of it a hop to a connection's thread), so the check would
answer slowest exactly when an orchestrator is deciding whether the app is alive. Requests that
arrive while a check is running wait for that check instead of starting their own: each answer
still comes from a check that ended after the request arrived, never from a remembered one.

Reading says little about writing: a full disk still lets ``SELECT 1`` through. Once a write has
failed for want of space (``backend.ops.storage``), the check looks for room on the database's disk
and writes too, a counter's row through the same path as every other write, until both succeed:
then the app is healthy again, and says so without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy import make_url, text

from backend.kernel.db import Database, unkeyed
from backend.kernel.tx import Tx
from backend.ops.storage import StorageState, make_room_check, storage_failure

log = logging.getLogger("comptoir.health")


class DatabaseProbe:
    """One per app, kept on its state: what it shares are tasks of the app's event loop."""

    def __init__(self, storage: StorageState | None = None) -> None:
        self._running: asyncio.Future[bool] | None = None
        self.storage = storage or StorageState()

    async def reachable(self, db: Database) -> bool:
        """Whether the database answers; and, while writes have been failing, whether it writes."""
        if self._running is None:
            check = self._write(db) if self.storage.failing else self._check(db)
            self._running = asyncio.ensure_future(check)
            self._running.add_done_callback(self._ended)
        return await asyncio.shield(self._running)  # one caller giving up must not cancel the others' check

    def _ended(self, _: asyncio.Future[bool]) -> None:
        self._running = None

    @staticmethod
    async def _check(db: Database) -> bool:
        try:
            async with db.read() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("the database is unreachable: %s", exc)
            return False
        return True

    async def _write(self, db: Database) -> bool:
        try:
            if (directory := _sqlite_directory(db)) is not None:
                await asyncio.to_thread(make_room_check, directory)
            await db.run(_probe_write)
        except OSError as exc:  # no room on the disk
            self.storage.failed(exc)
            return False
        except Exception as exc:
            if (failure := storage_failure(exc)) is None:
                log.warning("the database is unreachable: %s", exc)
                return False
            self.storage.failed(failure)
            return False
        self.storage.wrote()
        return True


PROBE_COUNTER = "health.write_probe"


def _sqlite_directory(db: Database) -> Path | None:
    database = make_url(db.url).database if db.is_sqlite else None
    return Path(database).parent if database and database != ":memory:" else None


@unkeyed
def _probe_write(tx: Tx) -> None:
    """The smallest real write: one row's counter, counting the checks that wrote."""
    tx.execute(
        "INSERT INTO counters (name, value) VALUES (:name, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = counters.value + 1",
        {"name": PROBE_COUNTER},
    )
