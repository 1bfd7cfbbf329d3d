"""``Database.run``: synchronous jobs, each caller gets its own outcome; on SQLite, the writer
groups queued jobs into one transaction without letting a failing job sink the others. Tools,
tests and the app all write through the same writer process."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, select

from backend.kernel.db import Database
from backend.kernel.events import DomainEvent, record
from backend.kernel.numbering import Counter
from backend.kernel.tx import Tx
from backend.kernel.writer import WriterClosed


class Refused(Exception):
    pass


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def _writers_left() -> list[str]:
    threads = [
        thread.name for thread in threading.enumerate() if thread.name.startswith(("sqlite-", "writer-"))
    ]
    return threads + [
        child.name for child in multiprocessing.active_children() if child.name == "sqlite-writer"
    ]


def sqlite_only(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("the writer and its batches exist on SQLite only")


def _count(tx: Tx, name: str, fail: bool = False) -> str:
    tx.execute("INSERT INTO counters (name, value) VALUES (:name, 1)", {"name": name})
    tx.at_batch_end("batch", _note_batch)
    tx.info.setdefault("names", []).append(name)
    if fail:
        raise Refused(name)
    return f"counted {name}"


def _note_batch(tx: Tx, infos: list[dict[str, Any]]) -> None:
    """Written down in the database: the writer may be another process."""
    names = ",".join(name for info in infos for name in info["names"])
    tx.execute("INSERT INTO counters (name, value) VALUES (:name, 1)", {"name": f"batch:{names}"})


async def _counters(db: Database) -> set[str]:
    async with db.read() as session:
        return set(await session.scalars(select(Counter.name)))


async def _names(db: Database) -> set[str]:
    return {name for name in await _counters(db) if not name.startswith("batch:")}


async def _batches(db: Database) -> set[str]:
    return {name for name in await _counters(db) if name.startswith("batch:")}


def _wait_for(tx: Tx, started: str, gate: str) -> None:
    Path(started).touch()
    deadline = time.monotonic() + 10
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.005)


async def _held_up(db: Database, folder: Path) -> tuple[Path, asyncio.Task[Any]]:
    """Keep the writer busy with a job until the returned gate file exists, so that what is
    submitted meanwhile queues up and runs as one batch. Files: the writer may be another process."""
    started, gate = folder / "started", folder / "gate"
    blocker = asyncio.create_task(db.run(_wait_for, str(started), str(gate)))
    deadline = time.monotonic() + 10
    while not started.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    return gate, blocker


async def test_results_and_exceptions_reach_their_own_caller(db: Database) -> None:
    outcomes = await asyncio.gather(
        *(db.run(_count, f"job-{n}", n % 3 == 0) for n in range(9)), return_exceptions=True
    )
    for n, outcome in enumerate(outcomes):
        if n % 3 == 0:
            assert isinstance(outcome, Refused)
            assert outcome.args == (f"job-{n}",)
        else:
            assert outcome == f"counted job-{n}"
    assert await _names(db) == {f"job-{n}" for n in range(9) if n % 3}


async def test_queued_jobs_commit_together_and_a_failing_one_rolls_back_alone(
    db: Database, tmp_path: Path
) -> None:
    sqlite_only(db)
    gate, blocker = await _held_up(db, tmp_path)
    jobs = [asyncio.create_task(db.run(_count, name, name == "b")) for name in "abc"]
    await asyncio.sleep(0.05)  # all three queued behind the blocker
    gate.touch()
    await blocker
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    assert outcomes[0] == "counted a"
    assert outcomes[2] == "counted c"
    assert isinstance(outcomes[1], Refused)
    assert await _names(db) == {"a", "c"}
    assert await _batches(db) == {"batch:a,c"}  # one batch; its end step saw the jobs that succeeded


def _count_with_orm(tx: Tx, name: str, fail: bool = False) -> int:
    tx.session.add(Counter(name=name, value=7))
    tx.session.flush()  # a duplicate name fails here, inside the command
    total = tx.execute("SELECT sum(value) FROM counters WHERE name = :name", {"name": name}).fetchall()
    if fail:
        raise Refused(name)
    return int(total[0][0])


async def test_commands_use_the_orm_session_and_plain_sql_in_one_transaction(
    db: Database, tmp_path: Path
) -> None:
    sqlite_only(db)
    gate, blocker = await _held_up(db, tmp_path)
    jobs = [
        asyncio.create_task(db.run(_count_with_orm, "orm-a")),
        asyncio.create_task(db.run(_count_with_orm, "orm-a")),  # the same key: fails alone
        asyncio.create_task(db.run(_count_with_orm, "orm-b", True)),  # raises after writing
        asyncio.create_task(db.run(_count, "plain")),
    ]
    await asyncio.sleep(0.05)  # all four queued behind the blocker: one batch
    gate.touch()
    await blocker
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    assert outcomes[0] == 7  # plain SQL saw what the session had flushed
    assert type(outcomes[1]).__name__ == "IntegrityError"
    assert isinstance(outcomes[2], Refused)
    assert outcomes[3] == "counted plain"
    assert await _counters(db) >= {"orm-a", "plain"}
    assert "orm-b" not in await _counters(db)


async def test_an_orm_command_commits_on_postgresql_too(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await database.run(_count_with_orm, "orm-alone") == 7
        with pytest.raises(Refused):
            await database.run(_count_with_orm, "orm-refused", True)
        assert "orm-alone" in await _counters(database)
        assert "orm-refused" not in await _counters(database)
    finally:
        await database.dispose()


def _cap_pages(tx: Tx, extra: int | None) -> None:
    """Let the database grow by ``extra`` pages at most (None: as far as it likes): a full disk."""
    pages = int(tx.execute("PRAGMA page_count").fetchall()[0][0])
    tx.execute(f"PRAGMA max_page_count={pages + extra if extra is not None else 2**30}")


def _too_big(tx: Tx) -> None:
    tx.session.add(Counter(name="x" * 400_000, value=1))


async def test_a_full_disk_fails_the_command_that_met_it_and_the_writer_goes_on(
    db: Database, tmp_path: Path
) -> None:
    sqlite_only(db)
    await db.run(_count, "before")
    await db.run(_cap_pages, 4)
    gate, blocker = await _held_up(db, tmp_path)
    jobs = [
        asyncio.create_task(db.run(_count, "a")),
        asyncio.create_task(db.run(_too_big)),  # SQLite ends the whole transaction over this one
        asyncio.create_task(db.run(_count, "c")),
    ]
    await asyncio.sleep(0.05)  # one batch
    gate.touch()
    await blocker
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    assert outcomes[0] == "counted a"
    assert outcomes[2] == "counted c"
    assert "database or disk is full" in str(outcomes[1])
    await db.run(_cap_pages, None)
    await db.run(_count, "after")
    assert await _names(db) >= {"before", "a", "c", "after"}


def _poisoned_end(tx: Tx, infos: list[dict[str, Any]]) -> None:
    if any(info.get("poison") for info in infos):
        raise Refused("batch end")


def _with_end(tx: Tx, name: str, poison: bool) -> str:
    tx.execute("INSERT INTO counters (name, value) VALUES (:name, 1)", {"name": name})
    tx.info["poison"] = poison
    tx.at_batch_end("end", _poisoned_end)
    return name


async def test_a_failing_batch_end_reruns_each_job_alone(db: Database, tmp_path: Path) -> None:
    sqlite_only(db)
    gate, blocker = await _held_up(db, tmp_path)
    good = asyncio.create_task(db.run(_with_end, "good", False))
    bad = asyncio.create_task(db.run(_with_end, "bad", True))
    await asyncio.sleep(0.05)
    gate.touch()
    await blocker
    assert await good == "good"
    with pytest.raises(Refused, match="batch end"):
        await bad
    assert await _names(db) == {"good"}


class Happened(DomainEvent, tag="test.happened"):
    pass


def _event(tx: Tx, fail: bool) -> None:
    record(tx, Happened(), "test:1")
    if fail:
        raise Refused("after the event")


async def test_commit_callbacks_run_once_the_transaction_is_committed_and_only_then(db: Database) -> None:
    seen: list[int] = []

    def count_events(session: Any) -> None:
        assert session.info.get("events_recorded")
        if db.is_sqlite:  # another connection already sees the commit
            with sqlite3.connect(make_url(db.url).database) as other:
                seen.append(other.execute("SELECT count(*) FROM events").fetchone()[0])
        else:
            seen.append(-1)

    db.on_commit(count_events)
    with pytest.raises(Refused):
        await db.run(_event, True)
    assert seen == []
    await db.run(_event, False)
    assert seen == ([1] if db.is_sqlite else [-1])


async def test_stopping_finishes_what_was_queued_and_leaves_no_writer(db: Database) -> None:
    sqlite_only(db)
    jobs = [asyncio.create_task(db.run(_count, f"job-{n}")) for n in range(50)]
    await asyncio.sleep(0)  # every job submitted
    await db.dispose()
    assert [await job for job in jobs] == [f"counted job-{n}" for n in range(50)]
    assert not _writers_left()
    with pytest.raises(WriterClosed):
        await db.run(_count, "too late")


async def test_many_databases_come_and_go_without_leaving_writers(database_url: str) -> None:
    for n in range(20):
        database = Database(database_url)
        try:
            assert await database.run(_count, f"db-{n}") == f"counted db-{n}"
        finally:
            await database.dispose()
    assert not _writers_left()


async def test_run_write_refuses_to_wait_inside_an_open_write_transaction(db: Database) -> None:
    # On SQLite the open transaction holds the lock the writer needs: it could only time out.
    with pytest.raises(RuntimeError, match="inside an open write transaction"):
        async with db.write():
            await db.run(_count, "nested")
    assert await db.run(_count, "after") == "counted after"


async def test_a_job_whose_caller_gave_up_before_it_started_writes_nothing(
    db: Database, tmp_path: Path
) -> None:
    sqlite_only(db)
    gate, blocker = await _held_up(db, tmp_path)
    abandoned = asyncio.create_task(db.run(_count, "abandoned"))
    kept = asyncio.create_task(db.run(_count, "kept"))
    await asyncio.sleep(0.05)
    abandoned.cancel()
    await asyncio.sleep(0.05)  # the word reaches a writer process before its next batch
    gate.touch()
    await blocker
    assert await kept == "counted kept"
    assert abandoned.cancelled()
    assert await _names(db) == {"kept"}


def _autocheckpoint(tx: Tx) -> int:
    return int(tx.execute("PRAGMA wal_autocheckpoint").fetchall()[0][0])


async def test_the_log_reaches_the_database_file_without_the_writer_copying_it(db: Database) -> None:
    sqlite_only(db)
    path = make_url(db.url).database
    for n in range(50):
        await db.run(_count, f"checkpointed-{n}")
    # The writer's own connection never copies the log back...
    writer_setting = await db.run(_autocheckpoint)
    assert writer_setting == 0
    # ...the checkpointer does, within about a second: the file alone (log ignored) has the rows.
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as file_only:
            found = file_only.execute(
                "SELECT count(*) FROM counters WHERE name LIKE 'checkpointed-%'"
            ).fetchone()
        if found[0] == 50 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    assert found[0] == 50


async def test_stopping_leaves_no_checkpointer_thread(db: Database) -> None:
    sqlite_only(db)
    await db.run(_count, "one")
    await db.dispose()
    assert not [thread for thread in threading.enumerate() if thread.name == "sqlite-checkpointer"]


async def test_a_writer_that_cannot_open_its_database_answers_instead_of_hanging(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'comptoir.db'}"
    database = Database(url)
    try:
        with pytest.raises(WriterClosed):
            await asyncio.wait_for(database.run(_count, "never"), 5)
        with pytest.raises(WriterClosed):
            await asyncio.wait_for(database.run(_count, "never again"), 5)
    finally:
        await database.dispose()
