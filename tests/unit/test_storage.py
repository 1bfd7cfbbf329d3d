"""Which errors say the disk is full or failing: real SQLite errors, as the drivers wrap them."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from backend.ops.storage import storage_failure


def _sqlite_error(*statements: str) -> sqlite3.Error:
    connection = sqlite3.connect(":memory:")
    try:
        for statement in statements:
            connection.execute(statement)
    except sqlite3.Error as exc:
        return exc
    finally:
        connection.close()
    raise AssertionError("no error")


def _full() -> sqlite3.Error:
    """A real SQLITE_FULL: the database may not grow past its two pages."""
    return _sqlite_error(
        "CREATE TABLE t (x)", "PRAGMA max_page_count = 2", "INSERT INTO t VALUES (randomblob(100000))"
    )


def test_a_full_database_is_a_storage_failure_even_under_sqlalchemy() -> None:
    full = _full()
    assert str(full) == "database or disk is full"
    assert storage_failure(full) is full
    assert storage_failure(OperationalError("INSERT", {}, full)) is full
    wrapped = RuntimeError("placing failed")
    wrapped.__cause__ = full
    assert storage_failure(wrapped) is full


def test_postgresql_disk_full_is_a_storage_failure() -> None:
    class DiskFullError(Exception):
        sqlstate = "53100"

    class LockNotAvailable(Exception):
        sqlstate = "55P03"

    assert storage_failure(DiskFullError()) is not None
    assert storage_failure(LockNotAvailable()) is None


@pytest.mark.parametrize(
    "statements",
    [
        ("CREATE TABLE t (x UNIQUE)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"),
        ("SELECT * FROM missing",),
    ],
    ids=["constraint", "no-such-table"],
)
def test_other_database_errors_are_not(statements: tuple[str, ...]) -> None:
    error = _sqlite_error(*statements)
    assert storage_failure(error) is None
    assert storage_failure(IntegrityError("INSERT", {}, error)) is None
