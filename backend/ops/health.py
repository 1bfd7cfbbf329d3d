"""The health check's look at the database, shared by the checks that arrive while one runs.

Under load, a round trip to the database per health request queues behind page views for the same
pooled connections (on SQLite, each step of it a hop to a connection's thread), so the check would
answer slowest exactly when an orchestrator is deciding whether the app is alive. Requests that
arrive while a check is running wait for that check instead of starting their own: each answer
still comes from a check that ended after the request arrived, never from a remembered one.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from backend.db import Database

log = logging.getLogger("comptoir.health")


class DatabaseProbe:
    """One per app (``app.state.health``): what it shares are tasks of the app's event loop."""

    def __init__(self) -> None:
        self._running: asyncio.Future[bool] | None = None

    async def reachable(self, db: Database) -> bool:
        if self._running is None:
            self._running = asyncio.ensure_future(self._check(db))
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
