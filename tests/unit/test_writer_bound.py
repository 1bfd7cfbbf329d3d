"""The writer's own bound on SQLite's log: between batches it empties a log grown past its limit,
and a reader that holds one snapshot for long costs it a bounded wait, not a stop."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import pytest

from backend.kernel import checkpointing
from backend.kernel.checkpointing import WriterBound

LIMIT = 256 * 1024
ROW = b"x" * 4000


def _writer(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "wal_autocheckpoint=0", "busy_timeout=5000"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
    return connection


def _batch(connection: sqlite3.Connection, rows: int = 20) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany("INSERT INTO t (body) VALUES (?)", [(ROW,)] * rows)
    connection.execute("COMMIT")


def _busy_timeout(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA busy_timeout").fetchone()[0])


def test_the_log_is_emptied_between_batches_once_past_its_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(checkpointing, "HARD_EVERY_SECONDS", 0.0)
    path = tmp_path / "bound.db"
    writer = _writer(path)
    reader = sqlite3.connect(path, isolation_level=None)
    bound = WriterBound(str(path), limit_bytes=LIMIT)
    wal = Path(f"{path}-wal")
    peak = 0
    for _ in range(60):  # about 5 MB written in all
        _batch(writer)
        reader.execute("SELECT count(*) FROM t").fetchone()  # a page view between two batches
        peak = max(peak, wal.stat().st_size)
        bound.between_batches(writer, 5000)
    batch_bytes = 20 * (len(ROW) + 200)
    assert peak < LIMIT + 2 * batch_bytes, peak
    assert wal.stat().st_size <= LIMIT
    assert _busy_timeout(writer) == 5000
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 60 * 20


def test_a_long_reader_costs_the_writer_a_short_wait_now_and_then(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="comptoir.checkpointing")
    path = tmp_path / "bound.db"
    writer = _writer(path)
    bound = WriterBound(str(path), limit_bytes=LIMIT)
    _batch(writer)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # holds its snapshot: the log cannot restart
    for _ in range(20):
        _batch(writer)
    assert Path(f"{path}-wal").stat().st_size > LIMIT

    started = time.monotonic()
    bound.between_batches(writer, 5000)
    waited = time.monotonic() - started
    assert checkpointing.HARD_BUSY_MS / 1000 * 0.5 <= waited < 1.0
    assert _busy_timeout(writer) == 5000

    started = time.monotonic()
    bound.between_batches(writer, 5000)  # tried a moment ago: not again so soon
    assert time.monotonic() - started < 0.05
    bound._next_try = 0.0
    bound.between_batches(writer, 5000)  # still held: said once, not at every try
    assert [r.message for r in caplog.records].count(
        "a reader keeps the WAL from being emptied; trying again every 0.5 s"
    ) == 1
    reader.execute("COMMIT")
    bound._next_try = 0.0
    bound.between_batches(writer, 5000)
    assert caplog.records[-1].message == "the WAL was emptied"
    assert Path(f"{path}-wal").stat().st_size == 0
