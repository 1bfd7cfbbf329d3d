"""SQLite for the app's async sessions, called in the event loop's own thread.

aiosqlite hands every driver call (execute, each fetch, close) to a thread of its own and back:
two wake-ups of the loop per call, a cost far above the statement's own on a page of small
indexed reads, and a page makes dozens of calls. This dialect is SQLAlchemy's own pysqlite dialect
marked as async: the async engine runs its synchronous calls in a greenlet as it runs every
driver's, and they return at once. Reads in WAL mode never wait for the writer (another process).
The price: a long statement holds the loop for its length, where aiosqlite's thread let the loop
go on between the rows it converted. Pages read through indexes (a search over 100,000 products
takes 13 ms at worst, ``bench/catalog.py``) and the order export reads a page at a time.

The writer process does not use this: its commands run on a synchronous connection already.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import make_url, pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

DRIVER = "inline"


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """Asked for by the async engine once a result is buffered: nothing is held here."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        return super().connect(*args, factory=_Connection, **kwargs)

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool


registry.register(f"sqlite.{DRIVER}", __name__, "InlineSQLiteDialect")


def inline_url(url: str) -> URL:
    """The same database through this dialect (``sqlite+aiosqlite:///…`` → ``sqlite+inline:///…``)."""
    return make_url(url).set(drivername=f"sqlite+{DRIVER}")
