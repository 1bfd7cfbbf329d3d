"""Commands for tests that set up rows directly: tests write through ``Database.run`` as the app
does (on SQLite the rows travel pickled to the writer process)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import inspect, update

from backend.kernel.db import Base
from backend.kernel.tx import Tx


def add_all(tx: Tx, rows: list[Base]) -> list[Any]:
    """Insert the rows; returns each one's primary key (a tuple for a composite key)."""
    tx.session.add_all(rows)
    tx.session.flush()
    keys = [inspect(row).identity for row in rows]
    return [key[0] if key is not None and len(key) == 1 else key for key in keys]


def add(tx: Tx, row: Base) -> Any:
    """Insert one row; returns its primary key."""
    return add_all(tx, [row])[0]


def run_sql(tx: Tx, sql: str, params: Mapping[str, Any] | None = None) -> int:
    """One statement of plain SQL; returns how many rows it touched."""
    return tx.execute(sql, params).rowcount


def update_all(tx: Tx, model: type[Base], **values: Any) -> int:
    """Set ``values`` on every row of the model's table; returns how many rows changed."""
    return tx.session.execute(update(model).values(**values)).rowcount
