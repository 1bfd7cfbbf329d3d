"""Engines, sessions and the declarative base.

SQLite allows one writer at a time. Write transactions therefore go through their own engine
whose single pooled connection opens with ``BEGIN IMMEDIATE``: writers queue in the event loop
instead of spinning in SQLite's busy handler, and a transaction can never fail half-way with
"database is locked" after reading. Reads use a separate pool and never block on writers (WAL).
On PostgreSQL both roles share one engine.

Every change is a command, run with ``Database.run(fn, *args)``: synchronous code ``fn(tx, …)``
(``backend.kernel.tx``) that, on SQLite, runs in the writer process with group commit
(``backend.kernel.writer_process``), and on PostgreSQL in an ordinary transaction from the pool.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import msgspec
from sqlalchemy import DateTime, MetaData, event, make_url
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

from backend.kernel.sqlite_inline import inline_url
from backend.kernel.tx import SessionTx, json_text
from backend.kernel.writer_process import ProcessWriter

log = logging.getLogger("comptoir.db")

# PostgreSQL: the channel on which a process tells the others that it committed events.
NOTIFY_CHANNEL = "comptoir_events"
# Commits made within this long share one NOTIFY (two round trips with the pool's ping): under load
# hundreds a second, for a delay nobody sees beside the tailers' own 50 ms of gathering.
ANNOUNCE_GATHER_SECONDS = 0.01

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite hands back naive values, which are UTC by contract."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upsert_into(session: Session | AsyncSession, table: type[Base]) -> Any:
    """INSERT … ON CONFLICT: both engines have it, under the same name but in different modules."""
    if session.bind.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _configure_sqlite(engine: AsyncEngine, begin_statement: str | None) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (the driver would emit a deferred one).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=10000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    if begin_statement is None:
        return

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin_statement)


# JSON columns through msgspec, as the plain-SQL writers do (``tx.json_text``): the event tailer
# decodes every event's data.
_JSON: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": msgspec.json.decode}


def make_engines(url: str) -> tuple[AsyncEngine, AsyncEngine]:
    """Return (read engine, write engine) for a database URL."""
    if url.startswith("sqlite"):
        # Reads run in autocommit: each statement sees a consistent snapshot, and a page view saves
        # the BEGIN and ROLLBACK round trips through aiosqlite's thread.
        inline = inline_url(url)
        reader = create_async_engine(inline, pool_size=8, max_overflow=8, pool_reset_on_return=None, **_JSON)
        writer = create_async_engine(inline, pool_size=1, max_overflow=0, pool_timeout=60, **_JSON)
        _configure_sqlite(reader, None)
        _configure_sqlite(writer, "BEGIN IMMEDIATE")
        return reader, writer
    engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **_JSON)
    return engine, engine


T = TypeVar("T")

# Set while a task has a write transaction open: on SQLite that transaction holds the write lock
# the writer thread would wait for, so run inside it could only time out.
_writing: ContextVar[bool] = ContextVar("writing", default=False)


def _with_keywords(fn: Callable[..., T], kwargs: dict[str, Any]) -> Callable[..., T]:
    """A command with its keyword arguments bound: a partial of a module-level function pickles as
    well as the function."""
    return functools.partial(fn, **kwargs) if kwargs else fn


def _run_alone(session: Any, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    tx = SessionTx(session)
    result = fn(tx, *args)
    tx.finish()
    return result


# -- Keyed commands ---------------------------------------------------------------------------------
# A request that carries an idempotency key puts it here (``backend.idempotency``) for the one
# command that is its change: ``Database.run`` hands that command to it, and it runs the command
# with the key claimed and the result stored in the command's own transaction.

CommandRunner = Callable[[Callable[..., Any], tuple[Any, ...]], Awaitable[Any]]


class CommandKey(Protocol):
    def applies_to(self, fn: Callable[..., Any]) -> bool:
        """Whether the command ``fn`` is the one the key stands for."""
        ...

    async def run(self, run: CommandRunner, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """``fn(tx, *args)`` under the key, through ``run`` (a plain command run)."""
        ...


command_key: ContextVar[CommandKey | None] = ContextVar("command_key", default=None)
UNKEYED = "unkeyed_command"


def unkeyed(fn: Callable[..., T]) -> Callable[..., T]:
    """Mark a command as bookkeeping beside a request's change (a throttle's count): it never
    takes the request's idempotency key, which stays for the change itself."""
    setattr(fn, UNKEYED, True)
    return fn


@contextmanager
def outside_the_key() -> Iterator[None]:
    """Commands run in this block are not the request's keyed change: each is idempotent by its
    own means (an imported order by its reference), and the key stays for the command after."""
    token = command_key.set(None)
    try:
        yield
    finally:
        command_key.reset(token)


class Database:
    """Holds the engines and hands out sessions for reading and for one write transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.read_engine, self.write_engine = make_engines(url)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._after_commit: list[Callable[[Any], None]] = []
        self._writer: ProcessWriter | None = None  # SQLite only, made when first needed
        self._announcing: asyncio.Task[None] | None = None
        self._announce_again = False

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def on_commit(self, callback: Callable[[Any], None]) -> None:
        """Run ``callback(session)`` after every committed write transaction (e.g. wake the tailer).
        Callbacks read only ``session.info``, flags such as ``events_recorded``: for a batch of the
        SQLite writer they get an object with the batch's ``info`` instead of a session."""
        self._after_commit.append(callback)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        token = _writing.set(True)
        try:
            async with self._write_sessions() as session, session.begin():
                yield session
        finally:
            _writing.reset(token)
        if self.is_postgres and session.info.get("events_recorded"):
            self._announce()
        for callback in self._after_commit:
            callback(session)

    def _announce(self) -> None:
        """Tell the other processes that events were committed, after the commit: a NOTIFY inside
        the transaction holds PostgreSQL's one notification-queue lock through COMMIT, its WAL
        flush included, so every event-writing transaction of every process would commit one after
        the other. Commits that come while a NOTIFY is on its way, or within
        ``ANNOUNCE_GATHER_SECONDS``, share the next one. A process that dies in between leaves the
        others to find its events when they next poll."""
        self._announce_again = True
        if self._announcing is None or self._announcing.done():
            self._announcing = asyncio.get_running_loop().create_task(self._send_announcements())

    async def _send_announcements(self) -> None:
        while self._announce_again:
            await asyncio.sleep(ANNOUNCE_GATHER_SECONDS)
            self._announce_again = False
            try:
                async with self.write_engine.connect() as connection:
                    await connection.execution_options(isolation_level="AUTOCOMMIT")
                    await connection.exec_driver_sql(f"NOTIFY {NOTIFY_CHANNEL}")
            except Exception:
                log.warning("could not announce committed events; other processes will poll", exc_info=True)
                return

    def start_writer(self) -> None:
        """Start the SQLite writer now rather than at the first command (blocking: it waits until
        the writer is ready)."""
        if self.is_sqlite:
            self._sqlite_writer().start()

    def _sqlite_writer(self) -> ProcessWriter:
        if self._writer is None:
            self._writer = ProcessWriter(make_url(self.url).database or "", self._after_commit)
        return self._writer

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run the command ``fn(tx, *args)`` (synchronous, see ``backend.kernel.tx``) in a write
        transaction and return its result; what it raises is raised here and nothing of it is
        written. On SQLite it may share the transaction with other callers' commands (group
        commit), in the writer process: ``fn`` is a module-level function, and its arguments and
        result plain data that pickles. It is a transaction of its own: not to be awaited inside
        ``write()``. In a request with an idempotency key, the request's change runs under the key
        (``command_key``)."""
        if _writing.get():
            raise RuntimeError("a command run inside an open write transaction")
        key = command_key.get()
        if key is not None and key.applies_to(fn):
            return await key.run(self._run, _with_keywords(fn, kwargs), args)
        return await self._run(_with_keywords(fn, kwargs), args)

    async def _run(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self.is_sqlite:
            return await self._sqlite_writer().submit(fn, args)
        async with self.write() as session:
            return await session.run_sync(_run_alone, fn, args)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """An app's lifespan of the database: the writer started at once, everything closed at the
        end. Off the event loop: the first writer process waits for the fork server to import the app."""
        await asyncio.to_thread(self.start_writer)
        try:
            yield
        finally:
            await self.dispose()

    async def dispose(self) -> None:
        if self._announcing is not None:
            await self._announcing
        if self._writer is not None:
            await self._writer.stop()
        await self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            await self.write_engine.dispose()
