"""Copying SQLite's write-ahead log back into the database file, beside the writer, and keeping the
log short.

By default the connection that commits does this (every 1,000 pages of log), inside its COMMIT:
under a stream of orders that made the writer, the one every write waits for, copy the same hot
index pages again and again. Its connection turns that off (``wal_autocheckpoint=0``); this thread
runs a PASSIVE checkpoint every second on a connection of its own instead. PASSIVE never waits for
or blocks the writer or readers, and SQLite runs it without holding the interpreter lock, so it
uses the core the writer does not.

PASSIVE alone never lets the log start over under a steady stream of writes: SQLite rewinds the
log only when a write begins after a checkpoint has copied *every* frame, and the writer commits
new frames while each pass copies the previous ones. The log then grew by about 40 KB an order
(hundreds of MB under load) until the last connection closed. So once the log is longer than
``LIMIT_BYTES`` (looked at every ``WATCH_SECONDS``), a TRUNCATE checkpoint follows the PASSIVE one:
it waits for the writer's transaction under way, holds the next one back while it copies the few
frames the PASSIVE pass left and readers move past them, then empties the file. The writer pauses
for that last step only; ``BUSY_MS`` bounds how long the checkpoint waits for its turn, and a try
that runs out simply comes again at the next look.

That try can lose every time: a writer with work queued takes its lock again the moment it lets
go, and the checkpoint's busy handler, which sleeps between looks, never finds it free. On a
machine whose cores are all busy the log then outgrew the limit several times over. So the writer
keeps a bound of its own (``WriterBound``): between two batches, when the log is past
``HARD_LIMIT_BYTES``, it empties the log itself; it holds the lock already, and waits only for
readers to move past. It tries at most every ``HARD_EVERY_SECONDS``, each time for at most
``HARD_BUSY_MS``, so that a reader holding one snapshot for long (a long report) slows writes by a
bounded share instead of stopping them.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

EVERY_SECONDS = 1.0
WATCH_SECONDS = 0.1
LIMIT_BYTES = 8 * 1024 * 1024
BUSY_MS = 250
HARD_LIMIT_BYTES = 3 * LIMIT_BYTES
HARD_EVERY_SECONDS = 0.5
HARD_BUSY_MS = 100

log = logging.getLogger("comptoir.checkpointing")


class Checkpointer:
    def __init__(self, path: str, every: float = EVERY_SECONDS, limit_bytes: int = LIMIT_BYTES) -> None:
        self.path = path
        self.every = every
        self.limit_bytes = limit_bytes
        self.wal = Path(f"{path}-wal")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False  # so that a checkpoint failing every second logs one line, not one a second

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpointer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ends the thread after one last checkpoint (blocking: call it from a worker thread)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error:  # the writer cannot open it either, and says so to its callers
            log.warning("cannot open the database to checkpoint it", exc_info=True)
            return
        try:
            connection.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            last = time.monotonic()
            while not self._stopping.wait(min(WATCH_SECONDS, self.every)):
                if time.monotonic() - last >= self.every or self._log_bytes() > self.limit_bytes:
                    self._checkpoint(connection)
                    last = time.monotonic()
            self._checkpoint(connection)
        finally:
            connection.close()

    def _log_bytes(self) -> int:
        """The log file's size: what the writer appended since the log last started over (a log
        that starts over without being emptied keeps at most the writer's ``journal_size_limit``)."""
        return _size(self.wal)

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            if self._log_bytes() > self.limit_bytes:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as exc:  # e.g. a full disk: the next round tries again
            if not self._failing:
                log.warning("WAL checkpoint failed, will retry: %s", exc)
            self._failing = True
            return
        if self._failing:
            log.info("WAL checkpoints work again")
        self._failing = False


class WriterBound:
    """The writer's own bound on the log, checked between batches (see the module's text)."""

    def __init__(self, path: str, limit_bytes: int = HARD_LIMIT_BYTES) -> None:
        self.wal = Path(f"{path}-wal")
        self.limit_bytes = limit_bytes
        self._next_try = 0.0
        self._held = False  # a reader kept the last try from emptying the log: said once, not per try

    def between_batches(self, connection: sqlite3.Connection, busy_ms: int) -> None:
        """``connection`` is the writer's, outside any transaction; ``busy_ms`` its own timeout,
        put back afterwards."""
        now = time.monotonic()
        if now < self._next_try or _size(self.wal) <= self.limit_bytes:
            return
        self._next_try = now + HARD_EVERY_SECONDS
        try:
            connection.execute(f"PRAGMA busy_timeout={HARD_BUSY_MS}")
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:  # e.g. a full disk: the writer's next COMMIT says so to its callers
            log.warning("the writer could not empty the WAL: %s", exc)
        else:
            if busy and not self._held:
                log.info(
                    "a reader keeps the WAL from being emptied; trying again every %s s", HARD_EVERY_SECONDS
                )
            elif not busy and self._held:
                log.info("the WAL was emptied")
            self._held = bool(busy)
        finally:
            connection.execute(f"PRAGMA busy_timeout={busy_ms}")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # no log yet
        return 0
