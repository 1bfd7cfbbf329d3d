"""Refusing to start, in one line, on a database directory the app cannot write in.

SQLite writes beside its file (the write-ahead log and its index): a read-only directory or file
system would otherwise let the server start and fail on the first request, or a migration end in a
traceback. PostgreSQL keeps its data elsewhere; only the secret key lives in the data directory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from backend.kernel.settings import Settings


def sqlite_file(settings: Settings) -> Path | None:
    if not settings.is_sqlite:
        return None
    database = make_url(settings.database_url).database
    return Path(database).resolve() if database and database != ":memory:" else None


def require_writable(settings: Settings) -> None:
    """Exit with one line naming the directory when the SQLite database cannot be written there."""
    database = sqlite_file(settings)
    if database is None:
        return
    try:
        with tempfile.TemporaryFile(dir=database.parent):  # created and removed: a real write
            pass
        if database.exists():
            database.open("r+b").close()  # opened for writing, nothing written
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SystemExit(f"cannot write the database in {database.parent}: {reason}") from None
