"""The SQLite writer: one thread, one connection, group commit.

SQLite takes one writer at a time, and a small write through the async ORM spends ~0.3 ms of
event-loop time per statement, so hot writes (reservations) queued behind each other topped out at
a few dozen per second. Here a dedicated thread owns a plain ``sqlite3`` connection and runs
synchronous jobs ``fn(tx, *args)`` as they are submitted, up to ``BATCH`` of them inside ONE
transaction: one BEGIN, one COMMIT (one WAL write) for the lot.

A job is isolated by a SAVEPOINT when it shares its batch with others: if it raises, only its own
changes roll back and the exception goes to its caller; the others still commit. Steps that jobs
register with ``tx.at_batch_end`` (stock settlement, its event) run once per batch, before the
COMMIT; should one fail, each job of the batch is run again on its own, so a bad job cannot sink
its neighbours. After the COMMIT, the ``on_commit`` callbacks run in the event loop (e.g. to wake
the event tailer), and then each caller gets its result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backend.checkpointing import Checkpointer
from backend.tx import BatchStep, SqliteTx, timestamp

BATCH = 32  # jobs per transaction: enough to amortise the COMMIT, few enough to keep latency low

# wal_autocheckpoint=0: the checkpointer thread copies the log back, not this one's COMMITs.
PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "foreign_keys=ON",
    "busy_timeout=10000",
    "wal_autocheckpoint=0",
)

log = logging.getLogger("comptoir.writer")

CommitCallback = Callable[[Any], None]


@dataclass(frozen=True)
class Committed:
    """What commit callbacks get for a batch: like a session, it carries the transaction's info."""

    info: dict[str, Any]


@dataclass
class Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


@dataclass
class Outcome:
    ok: bool
    value: Any  # the result, or the exception


class WriterClosed(RuntimeError):
    pass


_STOP = None  # the sentinel that ends the thread, after what was queued before it


class Writer:
    def __init__(self, path: str, on_commit: list[CommitCallback], batch: int = BATCH) -> None:
        self.path = path
        self.on_commit = on_commit  # shared with the Database: callbacks added later count too
        self.batch = batch
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._checkpointer = Checkpointer(path)

    def start(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._closed:
            raise WriterClosed("the writer has been stopped")
        if self._thread is None:
            # A daemon, so a Database nobody disposed cannot keep the process alive.
            self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
            self._thread.start()
            self._checkpointer.start()

    async def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        # Under the lock that stop() takes to queue the end: a job is queued before the end (and
        # run) or refused, never left behind it with nobody to answer its caller.
        with self._lock:
            self._start_locked()
            self._queue.put(Job(fn, args, loop, future))
        return await future

    async def stop(self) -> None:
        """Finish what was submitted, close the connection and end the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_STOP)
        if thread is None:
            return
        await asyncio.to_thread(thread.join)
        await asyncio.to_thread(self._checkpointer.stop)

    # -- the thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        connection = None
        try:  # whatever ends the thread, even failing to open the database, answers every caller
            connection = connect(self.path)
            while (batch := self._next_batch()) is not None:
                self._run_batch(connection, batch)
        except Exception:
            log.exception("the SQLite writer stopped")
        finally:
            if connection is not None:
                connection.close()
            with self._lock:  # from now on submit() refuses instead of queueing for nobody
                self._closed = True
            self._fail_leftovers()

    def _next_batch(self) -> list[Job] | None:
        """Wait for a job, then take whatever else is already queued, up to a batch."""
        first = self._queue.get()
        if first is _STOP:
            return None
        batch = [first]
        while len(batch) < self.batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is _STOP:
                self._queue.put(_STOP)  # seen again once this batch is done
                break
            batch.append(job)
        return batch

    def _fail_leftovers(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not _STOP:
                _deliver([job], [Outcome(False, WriterClosed("the writer has been stopped"))], None, [])

    def _run_batch(self, connection: sqlite3.Connection, batch: list[Job]) -> None:
        # A caller that gave up before its job started gets nothing written.
        jobs = [job for job in batch if not job.future.cancelled()]
        if not jobs:
            return
        try:
            settled = run_batch(connection, [(job.fn, job.args) for job in jobs])
        except BaseException as exc:  # the thread is going down: nobody may be left waiting
            _deliver(jobs, [Outcome(False, exc)] * len(jobs), None, [])
            raise
        for part in settled:
            _deliver([jobs[i] for i in part.indexes], part.outcomes, part.info, self.on_commit)


# -- the transaction logic, shared with the writer process (``backend.writer_process``) -----------


def connect(path: str) -> sqlite3.Connection:
    # isolation_level=None: the driver never opens transactions by itself; we BEGIN IMMEDIATE.
    connection = sqlite3.connect(path, isolation_level=None, cached_statements=256)
    for pragma in PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    return connection


Call = tuple[Callable[..., Any], tuple[Any, ...]]


@dataclass
class Settled:
    """The outcomes of some of a batch's jobs (by index), and the info of the transaction that
    committed them: None when it committed nothing."""

    indexes: list[int]
    outcomes: list[Outcome]
    info: dict[str, Any] | None


def run_batch(connection: sqlite3.Connection, calls: list[Call]) -> list[Settled]:
    """Run the jobs ``fn(tx, *args)`` in one transaction. Should a batch step or the COMMIT fail,
    each job runs again in a transaction of its own, so a bad job cannot sink its neighbours."""
    everyone = list(range(len(calls)))
    try:
        connection.execute("BEGIN IMMEDIATE")
    except Exception as exc:  # e.g. another process kept the lock past the busy timeout
        return [Settled(everyone, [Outcome(False, exc)] * len(calls), None)]
    try:
        outcomes, info = _attempt(connection, calls)
    except Exception as exc:  # a batch step or COMMIT failed: nothing was written
        _rollback(connection)
        if len(calls) == 1:
            return [Settled([0], [Outcome(False, exc)], None)]
        return [
            Settled([n], part.outcomes, part.info)
            for n, call in enumerate(calls)
            for part in run_batch(connection, [call])
        ]
    return [Settled(everyone, outcomes, info)]


def _attempt(
    connection: sqlite3.Connection, calls: list[Call]
) -> tuple[list[Outcome], dict[str, Any] | None]:
    """Run the jobs in the transaction just begun; returns each outcome, and the committed
    transaction's info (None when nothing was committed)."""
    now = str(timestamp("sqlite"))  # one time for the whole transaction, as in PostgreSQL
    runs = [_run_job(connection, call, now, isolated=len(calls) > 1) for call in calls]
    done = [tx for outcome, tx in runs if outcome.ok]
    if not done:
        _rollback(connection)
        return [outcome for outcome, _ in runs], None
    info = _end_batch(connection, done, now)
    connection.execute("COMMIT")
    return [outcome for outcome, _ in runs], info


def _run_job(
    connection: sqlite3.Connection, call: Call, now: str, *, isolated: bool
) -> tuple[Outcome, SqliteTx]:
    """One job; ``isolated`` in a savepoint, so that its failure undoes its own changes only (a job
    alone in its batch needs none: the whole transaction rolls back)."""
    tx = SqliteTx(connection, now=now)
    if isolated:
        connection.execute("SAVEPOINT job")
    try:
        fn, args = call
        result = fn(tx, *args)
    except Exception as exc:
        if isolated:
            connection.execute("ROLLBACK TO job")
            connection.execute("RELEASE job")
        return Outcome(False, exc), tx
    if isolated:
        connection.execute("RELEASE job")
    return Outcome(True, result), tx


def _end_batch(connection: sqlite3.Connection, done: list[SqliteTx], now: str) -> dict[str, Any]:
    """Run each batch-end step once, with the info of the jobs that asked for it; returns the info
    of the whole transaction, for the commit callbacks."""
    steps: dict[Any, tuple[BatchStep, list[dict[str, Any]]]] = {}
    for tx in done:
        for key, step in tx.batch_steps.items():
            steps.setdefault(key, (step, []))[1].append(tx.info)
    end = SqliteTx(connection, now=now)
    for step, infos in steps.values():
        step(end, infos)
    info: dict[str, Any] = {}
    for tx in (*done, end):
        info.update(tx.info)
    return info


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


def _deliver(
    jobs: list[Job], outcomes: list[Outcome], info: dict[str, Any] | None, on_commit: list[CommitCallback]
) -> None:
    deliveries = [(job.loop, job.future, outcome) for job, outcome in zip(jobs, outcomes, strict=True)]
    hand_over(deliveries, info, on_commit)


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
