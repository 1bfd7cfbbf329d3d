"""The SQLite writer in a process of its own: what the app serves with.

The writer thread (``backend.kernel.writer``) shares the interpreter lock with the event loop, so every
microsecond of Python a placement spends in it is a microsecond no request is parsed or answered:
under load the two take turns on one core. Here the same batches (``writer.run_batch``) run in a
child process, on the other core. A job crosses over pickled: ``fn`` must be a module-level
function and its arguments plain data (dataclasses, lists, strings); its result or exception comes
back the same way, and so does each committed transaction's ``info`` for the commit callbacks.

The child is forked from multiprocessing's fork server, which imports the app once: a fork from
the serving process itself would copy whatever locks its other threads held at that instant.
A reader thread here receives the outcomes and hands them to each caller's event loop. If the
child dies, every caller still waiting gets ``WriterClosed`` and so does every later one, as when
the writer thread ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import itertools
import logging
import multiprocessing
import multiprocessing.forkserver
import multiprocessing.util
import pickle
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from backend.kernel.checkpointing import Checkpointer, WriterBound
from backend.kernel.writer import (
    BATCH,
    BUSY_TIMEOUT_MS,
    Call,
    CommitCallback,
    Outcome,
    WriterClosed,
    connect,
    hand_over,
    run_batch,
)

log = logging.getLogger("comptoir.writer")

# What the fork server imports before it forks any writer: everything a job may name, and the
# main script (when run as a file, e.g. a test runner) that each child would otherwise import again.
PRELOAD = ["__main__", "backend.app"]
PIPE_BYTES = 1 << 20  # room for about a thousand queued jobs before submit() would block
_STOP = b"stop"
_READY = b"ready"  # the child's first word: its signal handling is set, its connection open
READY_SECONDS = 60

Pending = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class WriterError(RuntimeError):
    """A job's outcome that could not cross back to the caller (it would not pickle)."""


# -- pickling ---------------------------------------------------------------------------------------


def _rebuilt(
    cls: type[BaseException],
    args: tuple[Any, ...],
    state: dict[str, Any],
    links: tuple[BaseException | None, BaseException | None] = (None, None),
) -> BaseException:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    exc.__cause__, exc.__context__ = links
    return exc


class _Pickler(pickle.Pickler):
    """Exceptions by class, args and attributes: most domain errors take other arguments in
    ``__init__`` than they pass to ``Exception``, so the default (``cls(*args)``) fails. The errors
    they were raised from come along (not the tracebacks): the caller may look for the cause, e.g.
    a full disk behind SQLAlchemy's error."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, BaseException):
            return _rebuilt, (type(obj), obj.args, dict(vars(obj)), (obj.__cause__, obj.__context__))
        return NotImplemented


def dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _crossing(outcome: Outcome) -> Outcome:
    """The outcome itself, or an error saying why it cannot reach its caller."""
    try:
        dumps(outcome.value)
    except Exception as exc:
        log.error("a job's outcome cannot cross to its caller: %r", outcome.value)
        return Outcome(False, WriterError(f"{type(outcome.value).__name__} did not pickle: {exc}"))
    return outcome


# -- the child --------------------------------------------------------------------------------------


def _serve(path: str, jobs: Connection, results: Connection, batch: int) -> None:
    """The child's whole life: run what arrives, in batches, until told to stop or orphaned."""
    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the app decides when
    # its writer ends, once what was submitted is done, or the writer ends when the app is gone (EOF:
    # the app closes its end at exit at the latest, see ``_start_locked``).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    connection = connect(path)  # should this fail, the pipes close and the app's side gives up
    bound = WriterBound(path)
    results.send_bytes(_READY)
    waiting: dict[int, Call] = {}  # in the order sent
    stopping = False
    try:
        while waiting or not stopping:
            stopping = _receive(jobs, waiting, block=not waiting) or stopping
            taken = [(number, waiting.pop(number)) for number in list(itertools.islice(waiting, batch))]
            if taken:
                _run(connection, taken, results)
                bound.between_batches(connection.connection.driver_connection, BUSY_TIMEOUT_MS)
    except (EOFError, OSError):  # the app is gone: nobody to answer
        pass
    finally:
        connection.close()
    with contextlib.suppress(OSError):
        results.send_bytes(_STOP)


def _receive(jobs: Connection, waiting: dict[int, Call], *, block: bool) -> bool:
    """Take in every message already sent (waiting for one when ``block``); True on "stop". A
    cancel drops its job if it has not run yet."""
    stop = False
    while block or jobs.poll(0):
        block = False
        message = jobs.recv_bytes()
        if message == _STOP:
            stop = True
            continue
        kind, number, call = pickle.loads(message)  # noqa: S301 - from the app that forked us
        if kind == "cancel":
            waiting.pop(number, None)
        else:
            waiting[number] = (_crossable, call)
    return stop


def _crossable(tx: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """The job, refused (and so rolled back) when its result could not reach its caller."""
    result = fn(tx, *args)
    try:
        dumps(result)
    except Exception as exc:
        raise WriterError(f"{fn.__qualname__} returned what cannot be pickled: {exc}") from None
    return result


def _run(connection: Any, taken: list[tuple[int, Call]], results: Connection) -> None:
    for part in run_batch(connection, [call for _, call in taken]):
        numbers = [taken[i][0] for i in part.indexes]
        try:
            message = dumps((numbers, part.outcomes, part.info))
        except Exception:  # rare: find the outcome that will not pickle, and say so instead
            message = dumps((numbers, [_crossing(outcome) for outcome in part.outcomes], part.info))
        results.send_bytes(message)


# -- the app's side ---------------------------------------------------------------------------------


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def warm_up() -> None:
    """Start the fork server now (it imports the app, a few seconds), so that this overlaps the
    caller's own start-up instead of following it."""
    _context()
    multiprocessing.forkserver.ensure_running()


class ProcessWriter:
    """``Writer``'s interface (start, submit, stop), with the batches run in a child process."""

    def __init__(self, path: str, on_commit: list[CommitCallback], batch: int = BATCH) -> None:
        self.path = path
        self.on_commit = on_commit  # shared with the Database: callbacks added later count too
        self.batch = batch
        self._lock = threading.Lock()
        self._closed = False
        self._numbers = itertools.count()
        self._pending: dict[int, Pending] = {}
        self._loop: asyncio.AbstractEventLoop | None = None  # the latest caller's, for callbacks
        self._process: multiprocessing.process.BaseProcess | None = None
        self._jobs: Connection | None = None
        self._reader: threading.Thread | None = None
        self._checkpointer = Checkpointer(path)
        self._ready = threading.Event()

    def start(self) -> None:
        """Start the child and wait until it ignores the signals a stop sends the process group:
        a stop asked for once the app serves finishes the writer's work instead of cutting it."""
        with self._lock:
            self._start_locked()
        self._ready.wait(READY_SECONDS)

    def _start_locked(self) -> None:
        if self._closed:
            raise WriterClosed("the writer has been stopped")
        if self._process is not None:
            return
        context = _context()
        jobs_in, jobs_out = _pipe(context)
        results_in, results_out = context.Pipe(duplex=False)
        process = context.Process(
            target=_serve,
            args=(self.path, jobs_in, results_out, self.batch),
            name="sqlite-writer",
            daemon=True,
        )
        process.start()
        jobs_in.close()  # the child's ends: theirs now
        results_out.close()
        # Before multiprocessing's exit handler joins its children: the child ignores SIGTERM, so
        # it must see the app gone even when the app ends without stopping it.
        multiprocessing.util.Finalize(self, jobs_out.close, exitpriority=10)
        self._process, self._jobs = process, jobs_out
        self._reader = threading.Thread(
            target=self._read, args=(results_in,), name="writer-results", daemon=True
        )
        self._reader.start()
        self._checkpointer.start()

    async def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._start_locked()
            number = next(self._numbers)
            message = pickle.dumps(("job", number, (fn, args)), pickle.HIGHEST_PROTOCOL)
            self._pending[number] = (loop, future)
            self._loop = loop
            self._send(message)
        try:
            return await future
        except asyncio.CancelledError:
            self._cancel(number)
            raise

    def _send(self, message: bytes) -> None:
        assert self._jobs is not None
        try:
            self._jobs.send_bytes(message)
        except OSError as exc:  # the child is gone; the reader answers everyone waiting
            raise WriterClosed("the writer has stopped") from exc

    def _cancel(self, number: int) -> None:
        """A caller that gave up before its job started gets nothing written (best effort: the
        child drops it if the word arrives before the job's batch begins)."""
        with self._lock:
            if self._pending.pop(number, None) is None or self._closed:
                return
            with contextlib.suppress(WriterClosed):
                self._send(pickle.dumps(("cancel", number, None)))

    async def stop(self) -> None:
        """Finish what was submitted, end the child and the reader."""
        with self._lock:
            self._closed = True
            reader = self._reader
            if self._jobs is not None:
                with contextlib.suppress(OSError):
                    self._jobs.send_bytes(_STOP)
        if reader is None:
            return
        await asyncio.to_thread(reader.join)
        if self._process is not None:
            await asyncio.to_thread(self._process.join, 10)
        if self._jobs is not None:
            self._jobs.close()
        await asyncio.to_thread(self._checkpointer.stop)

    # -- the reader thread ----------------------------------------------------------------------

    def _read(self, results: Connection) -> None:
        try:
            while (message := results.recv_bytes()) != _STOP:
                if message == _READY:
                    self._ready.set()
                    continue
                numbers, outcomes, info = pickle.loads(message)  # noqa: S301 - from our own child
                self._deliver(numbers, outcomes, info)
        except (EOFError, OSError):
            log.error("the SQLite writer process ended unexpectedly")
        except Exception:
            log.exception("the SQLite writer's results could not be read")
        finally:
            results.close()
            self._ready.set()
            self._fail_everyone()

    def _deliver(self, numbers: list[int], outcomes: list[Outcome], info: dict[str, Any] | None) -> None:
        with self._lock:
            waiting = [
                (self._pending.pop(number, None), outcome)
                for number, outcome in zip(numbers, outcomes, strict=True)
            ]
        deliveries = [
            (pending[0], pending[1], outcome) for pending, outcome in waiting if pending is not None
        ]
        hand_over(deliveries, info, self.on_commit, idle_loop=self._loop)

    def _fail_everyone(self) -> None:
        with self._lock:  # from now on submit() refuses instead of sending to nobody
            self._closed = True
            pending, self._pending = self._pending, {}
        gone = Outcome(False, WriterClosed("the writer has been stopped"))
        hand_over([(loop, future, gone) for loop, future in pending.values()], None, [])


def _pipe(context: Any) -> tuple[Connection, Connection]:
    """A one-way pipe for jobs, with a buffer wide enough that submit() does not block while the
    child is busy with a batch."""
    reading, writing = context.Pipe(duplex=False)
    with contextlib.suppress(OSError):  # a smaller buffer only means submit() may wait sooner
        fcntl.fcntl(writing.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return reading, writing
