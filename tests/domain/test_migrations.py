"""The migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import command
from backend.idempotency import sealing
from backend.idempotency import service as idempotency
from backend.kernel import migrations
from backend.kernel.db import Database
from backend.kernel.tx import Tx, timestamp
from backend.models import Base
from backend.orders.rules import Actor
from backend.orders.service import place_order
from tests.api.order_fixtures import build_shop, draft
from tests.conftest import _run
from tests.writing import run_sql


async def _inspect(url: str, check):
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(check)
    finally:
        await engine.dispose()


def _diff(connection) -> list:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": migrations.include_name}
    )
    return compare_metadata(context, Base.metadata)


def _state(connection) -> tuple[set[str], str]:
    tables = set(inspect(connection).get_table_names())
    version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    return tables, version


def test_the_models_and_the_migrations_do_not_drift_apart(database_url: str) -> None:
    assert _run(_inspect(database_url, _diff)) == []


def test_migrations_go_down_to_empty_and_back_up_to_head(database_url: str) -> None:
    head = ScriptDirectory.from_config(migrations.alembic_config(database_url)).get_current_head()
    migrations.upgrade(database_url, "base")
    tables, _ = _run(_inspect(database_url, lambda c: (set(inspect(c).get_table_names()), None)))
    assert tables <= {"alembic_version"}
    migrations.upgrade(database_url, "head")
    tables, version = _run(_inspect(database_url, _state))
    assert set(Base.metadata.tables) <= tables
    assert version == head


async def _one_order(url: str) -> None:
    db = Database(url)
    try:
        await build_shop(db)
        await place_order(db, Actor(None), draft(channel="storefront"))
    finally:
        await db.dispose()


async def _sql(url: str, statement: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            result = await connection.exec_driver_sql(statement)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def test_an_analysed_sqlite_database_gets_statistics_for_the_new_orders_index(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite keeps statistics per index; PostgreSQL estimates from the table's columns")
    _run(_one_order(database_url))
    config = migrations.alembic_config(database_url)
    command.downgrade(config, "0005")
    migrations.upgrade(database_url)
    assert _run(_sql(database_url, "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")) == []
    command.downgrade(config, "0005")
    _run(_sql(database_url, "ANALYZE"))
    migrations.upgrade(database_url)
    stats = "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_orders_status_placed_at_id'"
    assert _run(_sql(database_url, stats)) == [("1 1 1 1",)]


def applied(tx: Tx) -> str:
    return "applied"


_OLD_ROW = (
    "INSERT INTO idempotency_keys (principal, key, fingerprint, created_at, status, headers, body)"
    " VALUES ('user:1', :key, 'f', :now, :status, :headers, :body)"
)


async def _store_old_rows(url: str, answer: bytes) -> None:
    """Rows as the app wrote them before 0008: an answered key, and one left in flight by a
    process that died before answering."""
    db = Database(url)
    try:
        now = timestamp("sqlite" if db.is_sqlite else "postgresql")
        for key, status, body in (("k-old", 201, answer), ("k-dead", None, None)):
            headers = '[["content-type", "application/json"]]' if status else None
            params = {"key": key, "status": status, "headers": headers, "body": body, "now": now}
            await db.run(run_sql, _OLD_ROW, params)
    finally:
        await db.dispose()


def test_keys_stored_before_are_hashed_sealed_and_never_applied_twice(database_url: str) -> None:
    config = migrations.alembic_config(database_url)
    command.downgrade(config, "0006")
    answer = b'{"tracking_url": "http://shop.test/t/secret-token"}'
    _run(_store_old_rows(database_url, answer))
    migrations.upgrade(database_url)
    # The key left in flight is released at once; the answered one keeps its sealed answer.
    [(key, body)] = _run(_sql(database_url, "SELECT key, body FROM idempotency_keys"))
    assert key == sealing.lookup("k-old")
    assert b"secret-token" not in bytes(body)

    async def retry(key: str) -> object:
        db = Database(database_url)
        try:
            keyed = idempotency.Keyed("user:1", key, "f")
            return await db.run(idempotency.run_keyed, keyed, True, applied, ())
        finally:
            await db.dispose()

    # Its answer was an HTTP one, stored by the earlier version: handled, never applied again.
    with pytest.raises(idempotency.HandledBefore):
        _run(retry("k-old"))
    assert _run(retry("k-dead")) == (False, "applied")


def test_events_written_before_the_upgrade_take_transaction_id_0_and_so_come_first(database_url: str) -> None:
    config = migrations.alembic_config(database_url)
    command.downgrade(config, "0009")
    old_event = "INSERT INTO events (at, type, subject, data) VALUES (CURRENT_TIMESTAMP, 'shop.updated', 'shop:1', '{}')"
    _run(_sql(database_url, old_event))
    migrations.upgrade(database_url)
    _run(_sql(database_url, old_event.replace("shop.updated", "location.created")))
    rows = _run(_sql(database_url, "SELECT xact_id, id FROM events ORDER BY id"))
    [(old_xact, old_id), (new_xact, new_id)] = rows
    assert old_id < new_id
    if database_url.startswith("sqlite"):
        assert old_xact is new_xact is None  # one writer: the id is the order
    else:
        assert old_xact == 0 < new_xact
