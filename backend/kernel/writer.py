"""The SQLite writer's transactions: one connection, group commit.

SQLite takes one writer at a time, and a small write through the async ORM spends ~0.3 ms of
event-loop time per statement, so hot writes (reservations) queued behind each other topped out at
a few dozen per second. Every command therefore runs in the writer (a process of its own, see
``backend.kernel.writer_process``), which owns the database's one write connection and runs synchronous
commands ``fn(tx, *args)`` as they arrive, up to ``BATCH`` of them inside ONE transaction: one
BEGIN, one COMMIT (one WAL write) for the lot.

A command is isolated by a SAVEPOINT when it shares its batch with others: if it raises, only its
own changes roll back and the exception goes to its caller; the others still commit. Steps that
commands register with ``tx.at_batch_end`` (stock settlement, its event) run once per batch, before
the COMMIT; should one fail, each command of the batch is run again on its own, so a bad one cannot
sink its neighbours. After the COMMIT, the ``on_commit`` callbacks run in the event loop (e.g. to
wake the event tailer), and then each caller gets its result.

The connection is shared by two views: SQLAlchemy's (``tx.session``, a synchronous ORM session,
which owns BEGIN and COMMIT) and the driver's (``tx.execute``, plain SQL for the hottest
statements, where sqlite3 keeps them prepared).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Connection, create_engine, event
from sqlalchemy.pool import StaticPool

from backend.kernel.checkpointing import LIMIT_BYTES
from backend.kernel.tx import BatchStep, SqliteTx, json_text, timestamp

BUSY_TIMEOUT_MS = 10_000
BATCH = 32  # commands per transaction: enough to amortise the COMMIT, few enough to keep latency low

# wal_autocheckpoint=0: the checkpointer thread copies the log back, not this one's COMMITs.
# journal_size_limit: when this connection starts the log over, the file shrinks back to the limit.
PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    f"busy_timeout={BUSY_TIMEOUT_MS}",
    "wal_autocheckpoint=0",
    f"journal_size_limit={LIMIT_BYTES}",
)

log = logging.getLogger("comptoir.writer")

CommitCallback = Callable[[Any], None]


@dataclass(frozen=True)
class Committed:
    """What commit callbacks get for a batch: like a session, it carries the transaction's info."""

    info: dict[str, Any]


@dataclass
class Outcome:
    ok: bool
    value: Any  # the result, or the exception


class WriterClosed(RuntimeError):
    pass


# -- the transaction logic ---------------------------------------------------------------------------


def connect(path: str) -> Connection:
    """The write connection: SQLAlchemy's view of one sqlite3 connection, whose transactions begin
    IMMEDIATE (the write lock is taken up front, never half-way through a command)."""
    # isolation_level=None: the driver never opens transactions by itself; SQLAlchemy's begin does.
    raw = sqlite3.connect(path, isolation_level=None, cached_statements=256, check_same_thread=False)
    for pragma in PRAGMAS:
        raw.execute(f"PRAGMA {pragma}")
    engine = create_engine(
        "sqlite://",
        creator=lambda: raw,
        poolclass=StaticPool,
        json_serializer=json_text,
        json_deserializer=msgspec.json.decode,
    )
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine.connect()


Call = tuple[Callable[..., Any], tuple[Any, ...]]


@dataclass
class Settled:
    """The outcomes of some of a batch's jobs (by index), and the info of the transaction that
    committed them: None when it committed nothing."""

    indexes: list[int]
    outcomes: list[Outcome]
    info: dict[str, Any] | None


def run_batch(connection: Connection, calls: list[Call]) -> list[Settled]:
    """Run the commands ``fn(tx, *args)`` in one transaction. Should a batch step or the COMMIT
    fail, each command runs again in a transaction of its own, so a bad one cannot sink the rest."""
    everyone = list(range(len(calls)))
    try:
        transaction = connection.begin()
    except Exception as exc:  # e.g. another process kept the lock past the busy timeout
        _rollback(connection)
        return [Settled(everyone, [Outcome(False, exc)] * len(calls), None)]
    try:
        outcomes, info = _attempt(connection, calls)
        if info is not None:
            transaction.commit()
    except Exception as exc:  # a batch step or COMMIT failed: nothing was written
        _rollback(connection)
        if len(calls) == 1:
            cause = exc.__cause__ if isinstance(exc, TransactionLost) else exc
            return [Settled([0], [Outcome(False, cause or exc)], None)]
        return [
            Settled([n], part.outcomes, part.info)
            for n, call in enumerate(calls)
            for part in run_batch(connection, [call])
        ]
    return [Settled(everyone, outcomes, info)]


def _attempt(connection: Connection, calls: list[Call]) -> tuple[list[Outcome], dict[str, Any] | None]:
    """Run the commands in the transaction just begun; returns each outcome, and the info of the
    transaction to commit (None, and rolled back, when no command succeeded)."""
    now = str(timestamp("sqlite"))  # one time for the whole transaction, as in PostgreSQL
    runs = [_run_job(connection, call, now, isolated=len(calls) > 1) for call in calls]
    done = [tx for outcome, tx in runs if outcome.ok]
    if not done:
        _rollback(connection)
        return [outcome for outcome, _ in runs], None
    return [outcome for outcome, _ in runs], _end_batch(connection, done, now)


class TransactionLost(Exception):
    """SQLite ended the batch's transaction by itself, as it does on a full disk or an I/O error:
    nothing of the batch is written, and nothing more may run in it (it would autocommit)."""


def _run_job(connection: Connection, call: Call, now: str, *, isolated: bool) -> tuple[Outcome, SqliteTx]:
    """One command; ``isolated`` in a savepoint, so that its failure undoes its own changes only (a
    command alone in its batch needs none: the whole transaction rolls back)."""
    tx = SqliteTx(connection, now=now)
    raw = tx.driver
    if isolated:
        raw.execute("SAVEPOINT job")
    try:
        fn, args = call
        result = fn(tx, *args)
        tx.close()
    except Exception as exc:
        _undo(tx, isolated=isolated)
        if not raw.in_transaction:
            raise TransactionLost from _earliest(exc)
        return Outcome(False, exc), tx
    if isolated:
        raw.execute("RELEASE job")
    return Outcome(True, result), tx


def _earliest(exc: BaseException) -> BaseException:
    """The first error of a chain: what ended the transaction, not the failed clean-up after it
    (SQLAlchemy's "no such savepoint")."""
    while exc.__context__ is not None:
        exc = exc.__context__
    return exc


def _undo(tx: SqliteTx, *, isolated: bool) -> None:
    """Undo a failed command's changes. Quietly: the error to report is the command's own, and
    after SQLite ended the transaction the savepoints are gone with it."""
    with contextlib.suppress(Exception):
        tx.discard()
    if isolated and tx.driver.in_transaction:
        tx.driver.execute("ROLLBACK TO job")
        tx.driver.execute("RELEASE job")


def _end_batch(connection: Connection, done: list[SqliteTx], now: str) -> dict[str, Any]:
    """Run each batch-end step once, with the info of the commands that asked for it; returns the
    info of the whole transaction, for the commit callbacks."""
    steps: dict[Any, tuple[BatchStep, list[dict[str, Any]]]] = {}
    for tx in done:
        for key, step in tx.batch_steps.items():
            steps.setdefault(key, (step, []))[1].append(tx.info)
    end = SqliteTx(connection, now=now)
    for step, infos in steps.values():
        step(end, infos)
    end.close()
    info: dict[str, Any] = {}
    for tx in (*done, end):
        info.update(tx.info)
    return info


def _rollback(connection: Connection) -> None:
    with contextlib.suppress(Exception):  # SQLite may have ended the transaction already
        connection.rollback()
    raw = connection.connection.driver_connection
    if raw is not None and raw.in_transaction:  # SQLAlchemy gave up on it half-way (a failed BEGIN)
        raw.execute("ROLLBACK")


Delivery = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Outcome]


def hand_over(
    deliveries: list[Delivery],
    info: dict[str, Any] | None,
    on_commit: list[CommitCallback],
    idle_loop: asyncio.AbstractEventLoop | None = None,
) -> None:
    """Hand each outcome to its caller's event loop. The commit callbacks, when something was
    committed, run first, in the first loop; in ``idle_loop`` when every caller gave up."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Outcome]]] = {}
    for loop, future, outcome in deliveries:
        by_loop.setdefault(loop, []).append((future, outcome))
    callbacks = on_commit if info is not None else []
    if not by_loop and callbacks and idle_loop is not None:
        by_loop[idle_loop] = []
    for loop, results in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(_resolve, results, info, callbacks)
        callbacks = []


def _resolve(
    results: list[tuple[asyncio.Future[Any], Outcome]],
    info: dict[str, Any] | None,
    callbacks: list[CommitCallback],
) -> None:
    for callback in callbacks:
        try:
            callback(Committed(info or {}))
        except Exception:
            log.exception("a commit callback failed")
    for future, outcome in results:
        if future.done():  # its caller was cancelled meanwhile
            continue
        if outcome.ok:
            future.set_result(outcome.value)
        else:
            future.set_exception(outcome.value)
