"""When the database cannot write: a full disk, or one that fails.

SQLite says so with ``SQLITE_FULL`` ("database or disk is full", also when its log cannot grow) or
an ``SQLITE_IOERR`` (e.g. the shared-memory index cannot grow); PostgreSQL with SQLSTATE 53100
(``disk_full``). None of these is a bug of the request that met it: the request is refused with a
503 and a ``Retry-After``, and the app remembers that writing fails, so that ``/health`` says so
too, until a write commits again (``StorageState.wrote``, called after every commit). Nothing needs
restarting: the next write once space is back simply succeeds.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
import time
from pathlib import Path

from backend.kernel.errors import chain

SQLITE_IOERR = 10
SQLITE_FULL = 13
POSTGRES_DISK_FULL = "53100"
RETRY_AFTER_SECONDS = 30
ROOM_BYTES = 4 * 1024 * 1024  # a few batches of orders in the log, and the checkpoint's growth

log = logging.getLogger("comptoir.storage")


def storage_failure(exc: BaseException) -> BaseException | None:
    """The database error behind ``exc`` that says the disk is full or failing, if there is one:
    ``exc`` itself, the driver's error under SQLAlchemy's (``orig``), or one it was raised from."""
    return next((error for error in chain(exc) if _says_storage_fails(error)), None)


def _says_storage_fails(error: BaseException) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):  # extended codes keep the primary one in the low byte
        return code & 0xFF in (SQLITE_FULL, SQLITE_IOERR)
    return getattr(error, "sqlstate", None) == POSTGRES_DISK_FULL


class StorageState:
    """Whether the last write met a full or failing disk (one per app, kept on its state)."""

    def __init__(self) -> None:
        self.failure: str | None = None  # what the database said, while writing fails
        self.since = 0.0

    @property
    def failing(self) -> bool:
        return self.failure is not None

    def failed(self, error: BaseException) -> None:
        if self.failure is None:
            self.since = time.monotonic()
            log.error("the database cannot write: %s", error)
        self.failure = str(error)

    def wrote(self) -> None:
        """The health check found room and wrote: the disk takes data again."""
        if self.failure is not None:
            log.warning("the database writes again, after %.0f s", time.monotonic() - self.since)
            self.failure = None


def make_room_check(directory: Path, size: int = ROOM_BYTES) -> None:
    """Raise ``OSError`` unless ``size`` bytes can be reserved in ``directory`` (in a file of no
    name, gone when closed): whether the disk has room again, not only SQLite's own files."""
    with tempfile.TemporaryFile(dir=directory) as probe:
        try:
            os.posix_fallocate(probe.fileno(), 0, size)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system that cannot say
                raise


def log_failure(logger: logging.Logger, message: str, exc: BaseException) -> None:
    """``message`` with a traceback, or in one line when a full or failing disk explains it (it
    will say the same every time it is tried again until space is back)."""
    failure = storage_failure(exc)
    if failure is None:
        logger.error(message, exc_info=exc)
    else:
        logger.warning("%s: %s", message, failure)
