"""Copying SQLite's write-ahead log back into the database file, beside the writer thread.

By default the connection that commits does this (every 1,000 pages of log), inside its COMMIT:
under a stream of orders that made the writer thread, the one every write waits for, copy the same
hot index pages again and again. Its connection turns that off (``wal_autocheckpoint=0``); this
thread runs a PASSIVE checkpoint every second on a connection of its own instead. PASSIVE never
waits for or blocks the writer or readers, and SQLite runs it without holding the interpreter lock,
so it uses the core the writer does not.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

EVERY_SECONDS = 1.0

log = logging.getLogger("comptoir.checkpointing")


class Checkpointer:
    def __init__(self, path: str, every: float = EVERY_SECONDS) -> None:
        self.path = path
        self.every = every
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

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
            connection.execute("PRAGMA busy_timeout=10000")
            while not self._stopping.wait(self.every):
                self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # e.g. another process checkpoints right now: the next round will
            log.warning("WAL checkpoint failed; will retry", exc_info=True)
