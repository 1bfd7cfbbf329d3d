"""On PostgreSQL writers of events run side by side, so an event id taken first may commit last.
Readers (the tailer, a socket's ``?since=`` replay) must then never skip an event that becomes
visible late, never deliver one twice, and all follow the same order.

A transaction of any database of the server holds the log back while it runs: what must come once
those end is awaited, bounded, rather than expected at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection

from backend.auth.rules import Role
from backend.kernel.db import Database
from backend.kernel.events import (
    START,
    Position,
    events_after,
    events_held_back,
    latest_event_id,
    latest_position,
    position,
    record,
)
from backend.kernel.tx import SessionTx
from backend.purchasing.events import SupplierCreated
from tests.api.test_live_updates import _cookie, _quiet, _seed, _socket
from tests.conftest import _run, _wipe_postgres
from tests.live import LiveServer, event_ids

TEAM_EVENT = "supplier.created"  # heard by the team, with a toast that carries the event's id


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[Database]:
    """The log as this test writes it: empty at first, unless a server was started on it."""
    database = Database(postgres_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def empty(postgres_url: str) -> None:
    await _wipe_postgres(postgres_url)


@contextlib.asynccontextmanager
async def _open_with_event(db: Database, name: str) -> AsyncIterator[tuple[AsyncSession, int]]:
    """A write transaction that has recorded one event and commits when the block ends."""
    async with db.write() as session:
        yield session, await _record_in(session, name)


async def _record_in(session: AsyncSession, name: str) -> int:
    """An event recorded in an open transaction, as a command records it (``record``)."""
    return await session.run_sync(lambda s: record(SessionTx(s), SupplierCreated(name=name), "supplier:1"))


async def _commit_with_event(db: Database, name: str) -> int:
    """A transaction that records one event and commits."""
    async with db.write() as session:
        return await _record_in(session, name)


async def _take_xid(session: AsyncSession) -> None:
    """Give the transaction its id now, before it writes, as any earlier write would."""
    await session.execute(text("SELECT pg_current_xact_id()"))


async def _read(db: Database, after: Position) -> tuple[list[int], Position, bool]:
    """What a reader takes after ``after``: ids, where it then stands, whether more is held back."""
    async with db.read() as session:
        events = await events_after(session, after)
        held = await events_held_back(session)
    return [event.id for event in events], (position(events[-1]) if events else after), held


async def _take(db: Database, after: Position, count: int) -> tuple[list[int], Position]:
    """Read as a tailer does until ``count`` events came, then check that nothing else comes."""
    taken: list[int] = []
    async with asyncio.timeout(10):
        while len(taken) < count:
            ids, after, _ = await _read(db, after)
            taken += ids
            await asyncio.sleep(0.02)
    assert (await _read(db, after))[0] == []
    return taken, after


async def test_an_event_committed_first_waits_for_the_older_transaction_then_both_come_once(
    empty: None, db: Database
) -> None:
    async with _open_with_event(db, "first id, last commit") as (_, first):
        second = await _commit_with_event(db, "second id, first commit")
        assert second > first
        taken, at, held = await _read(db, START)
        assert (taken, held) == ([], True)  # the second is committed, but the first could still come
        assert await _seen(db) == 0
    assert (await _take(db, at, 2))[0] == [first, second]


async def test_an_older_transaction_that_takes_its_id_last_is_delivered_after_without_a_gap(
    empty: None, db: Database
) -> None:
    """Ids alone would skip here: the second id is settled and read while the first is still open."""
    async with contextlib.AsyncExitStack() as younger:
        async with db.write() as older:
            await _take_xid(older)
            _, first = await younger.enter_async_context(_open_with_event(db, "younger transaction"))
            second = await _record_in(older, "older transaction")
        assert second > first
        taken, at = await _take(db, START, 1)
        assert taken == [second]
        assert await _seen(db) == second
    taken, at = await _take(db, at, 1)
    assert taken == [first]
    async with db.read() as session:
        assert await latest_position(session) == at
        assert [event.id for event in await events_after(session, START)] == [second, first]


@pytest.fixture
def server(postgres_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server that polls the log only once a minute: what it delivers promptly, NOTIFY or its own
    look again at held-back events explains."""
    _run(_wipe_postgres(postgres_url))
    _run(_seed(postgres_url))
    env = {"COMPTOIR_WEBSOCKET_HEARTBEAT_SECONDS": "0.5"}
    live = LiveServer(postgres_url, tmp_path, poll_seconds=60, extra_env=env).start()
    try:
        yield live
    finally:
        live.stop()


async def _heard(socket: ClientConnection, count: int = 0) -> list[int]:
    """Ids of the events a socket hears, in its order: ``count`` of them, then none for a while."""
    heard: list[int] = []
    async with asyncio.timeout(10):
        while len(heard) < count:
            heard += event_ids(await socket.recv())
    return heard + await _quiet(socket, wait=1.0)


async def _seen(db: Database) -> int:
    async with db.read() as session:
        return await latest_event_id(session)


async def test_sockets_and_replays_get_interleaved_commits_once_each_in_the_same_order(
    server: LiveServer, db: Database
) -> None:
    cookie, seen = await _cookie(server, Role.OWNER), await _seen(db)
    async with contextlib.AsyncExitStack() as sockets:
        live = await sockets.enter_async_context(await _socket(server, cookie))
        async with _open_with_event(db, "first id, last commit") as (_, first):
            second = await _commit_with_event(db, "second id, first commit")
            assert await _heard(live) == []
            resumed = await sockets.enter_async_context(await _socket(server, cookie, since=seen))
            assert await _heard(resumed) == []  # its replay: nothing settled yet
        assert await _heard(live, 2) == [first, second]
        assert await _heard(resumed, 2) == [first, second]
    for since, missed in ((seen, [first, second]), (first, [second]), (second, [])):
        async with await _socket(server, cookie, since=since) as again:
            assert await _heard(again, len(missed)) == missed


async def test_a_later_id_from_an_older_transaction_comes_first_and_replays_resume_after_it(
    server: LiveServer, db: Database
) -> None:
    cookie, seen = await _cookie(server, Role.OWNER), await _seen(db)
    async with await _socket(server, cookie) as live:
        async with db.write() as older:
            await _take_xid(older)
            younger = await _commit_with_event(db, "younger transaction, first id")
            assert await _heard(live) == []
            older_event = await _record_in(older, "older transaction")
        assert older_event > younger
        assert await _heard(live, 2) == [older_event, younger]
    for since, missed in ((seen, [older_event, younger]), (older_event, [younger]), (younger, [])):
        async with await _socket(server, cookie, since=since) as again:
            assert await _heard(again, len(missed)) == missed


async def test_an_event_held_back_by_a_transaction_without_events_comes_as_soon_as_it_ends(
    server: LiveServer, db: Database
) -> None:
    """Its end wakes no one (no NOTIFY) and the server polls once a minute: it looks again itself."""
    cookie = await _cookie(server, Role.OWNER)
    async with await _socket(server, cookie) as live:
        async with db.write() as older:
            await _take_xid(older)
            event = await _commit_with_event(db, "held back")
            assert await _heard(live) == []
        assert await _heard(live, 1) == [event]


async def test_an_unknown_event_to_resume_after_asks_the_page_to_reload(
    server: LiveServer, db: Database
) -> None:
    cookie = await _cookie(server, Role.OWNER)
    async with await _socket(server, cookie, since=10**9) as socket:
        async with asyncio.timeout(5):
            assert 'data-reload="true"' in await socket.recv()
