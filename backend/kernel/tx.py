"""The transaction a command runs in, as synchronous code sees it.

A command (``Database.run``) is a plain function ``fn(tx, …)``. It changes the database through
``tx.session``, a synchronous SQLAlchemy ORM session in the command's transaction, and, for the
few statements on the hottest paths (placing an order, reserving stock), through ``tx.execute``:
SQL text with ``:name`` parameters, which on SQLite goes straight to the driver, where a statement
costs microseconds instead of the ORM's hundreds. That SQL is written once, in the subset both
engines accept (``ON CONFLICT``, ``RETURNING``); what differs goes through this class: row locks,
timestamps, lists as parameters.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import Connection, TextClause, text
from sqlalchemy.orm import Session

BatchStep = Callable[["Tx", list[dict[str, Any]]], None]


class Rows(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Tx:
    """One unit of work's view of the transaction it runs in.

    ``info`` is private to the unit of work (a writer job, or the session); steps registered with
    ``at_batch_end`` run once, after every job of the batch, with the ``info`` of each job that
    asked for them and succeeded: e.g. one stock settlement and one event for a whole batch.
    """

    dialect = ""

    def __init__(self, info: dict[str, Any] | None = None, now: datetime | str | None = None) -> None:
        self.info: dict[str, Any] = {} if info is None else info
        self.batch_steps: dict[Hashable, BatchStep] = {}
        self._now = now

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Rows:
        raise NotImplementedError

    @property
    def session(self) -> Session:
        """The ORM session of this transaction (its changes are flushed before ``execute``)."""
        raise NotImplementedError

    def at_batch_end(self, key: Hashable, step: BatchStep) -> None:
        self.batch_steps.setdefault(key, step)

    def batch_end_here(self) -> None:
        """The command's part of the batch-end work is ready: a transaction of its own (a batch of
        one) runs the steps registered so far now, e.g. before taking a row lock that is held until
        COMMIT (a document number's counter), so that they do not lengthen that wait. In the SQLite
        writer they still run once, after every command of the batch."""

    @property
    def open_session(self) -> Session | None:
        """The ORM session if the unit of work has one open already; None when nothing is held."""
        return self.session

    def forget(self, entity: type[Any], ident: Any) -> None:
        """Plain SQL has just changed this row: an object of it that the session holds is read
        again when next used, instead of showing what it was. Opens no session."""
        session = self.open_session
        if session is not None and (held := session.identity_map.get(session.identity_key(entity, ident))):
            session.expire(held)

    @property
    def for_update(self) -> str:
        """Appended to a SELECT whose rows the transaction goes on to change."""
        return " FOR UPDATE" if self.dialect == "postgresql" else ""

    @property
    def in_ids(self) -> str:
        """SQL testing a value against the list passed as parameter ``ids`` (see ``array``):
        one prepared statement whatever the list's length."""
        return "IN (SELECT value FROM json_each(:ids))" if self.dialect == "sqlite" else "= ANY(:ids)"

    def array(self, values: list[int]) -> Any:
        return json_text(values) if self.dialect == "sqlite" else values

    def now(self) -> datetime | str:
        """The transaction's time, as a parameter for a ``UTCDateTime`` column."""
        if self._now is None:
            self._now = timestamp(self.dialect)
        return self._now

    def moment(self, moment: datetime) -> datetime | str:
        """An aware datetime as a parameter compared with a ``UTCDateTime`` column."""
        return timestamp(self.dialect, moment)


def json_text(value: Any) -> str:
    """A JSON column's text, written by hand in plain SQL (several times faster than ``json``)."""
    return _encode_json(value).decode()


_encode_json = msgspec.json.Encoder().encode


def values_rows(columns: tuple[str, ...], rows: list[Mapping[str, Any]]) -> tuple[str, dict[str, Any]]:
    """``VALUES (…), (…)`` for several rows in one statement, and its parameters (``name_n``)."""
    names = _parameter_names(columns, len(rows))
    params = {
        name: row[column] for row, row_names in zip(rows, names, strict=True) for column, name in row_names
    }
    return _values_sql(columns, len(rows)), params


@functools.cache
def _parameter_names(columns: tuple[str, ...], count: int) -> tuple[tuple[tuple[str, str], ...], ...]:
    return tuple(tuple((column, f"{column}_{n}") for column in columns) for n in range(count))


@functools.cache
def _values_sql(columns: tuple[str, ...], count: int) -> str:
    row_sql = "(" + ", ".join(f":{column}_{{n}}" for column in columns) + ")"
    return "VALUES " + ", ".join(row_sql.format(n=n) for n in range(count))


def timestamp(dialect: str, moment: datetime | None = None) -> datetime | str:
    moment = datetime.now(UTC) if moment is None else moment.astimezone(UTC)
    if dialect != "sqlite":
        return moment
    # SQLAlchemy's own text for DateTime on SQLite: what the ORM reads back and sorts by.
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def moment_of(value: datetime | str | None) -> datetime | None:
    """A ``UTCDateTime`` column as plain SQL reads it (on SQLite, the text ``timestamp`` wrote):
    aware, in UTC, as the ORM hands it back."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SqliteTx(Tx):
    """A command in the SQLite writer: plain SQL straight on the driver's connection (sqlite3 keeps
    the statements prepared), and an ORM session, opened when first asked for, in a savepoint of
    its own on the same connection."""

    dialect = "sqlite"

    def __init__(
        self, connection: Connection, info: dict[str, Any] | None = None, now: str | None = None
    ) -> None:
        super().__init__(info, now)
        self.connection = connection
        self.driver: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            # create_savepoint: the session never commits or rolls back the batch, only its own part.
            self._session = Session(
                bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
            self._session.info.update(self.info)
            self.info = self._session.info
        return self._session

    @property
    def open_session(self) -> Session | None:
        return self._session

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Rows:
        if self._session is not None:
            self._session.flush()  # plain SQL must see what the ORM still holds back
        return self.driver.execute(sql, params or {})

    def close(self) -> None:
        """The command is done: write what the session holds back, and let go of the session."""
        if self._session is not None:
            self._session.commit()  # releases its savepoint; the batch commits later
            self._session.close()

    def discard(self) -> None:
        """The command failed: its session's changes are undone with its savepoint."""
        if self._session is not None:
            self._session.close()


_texts: dict[str, TextClause] = {}


def _text(sql: str) -> TextClause:
    found = _texts.get(sql)
    if found is None:
        found = _texts[sql] = text(sql)
    return found


class SessionTx(Tx):
    """Statements through a (synchronous view of an) ORM session, in its transaction."""

    def __init__(self, session: Session) -> None:
        super().__init__(session.info)
        self._session = session
        self.dialect = session.bind.dialect.name

    @property
    def session(self) -> Session:
        return self._session

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Rows:
        self._session.flush()  # plain SQL must see what the ORM still holds back
        return self._session.execute(_text(sql), params or {})

    def batch_end_here(self) -> None:
        for step in self.batch_steps.values():
            step(self, [self.info])
        self.batch_steps.clear()

    def finish(self) -> None:
        """End of the transaction's work: a session is a batch of one."""
        self.batch_end_here()
        self._session.flush()
