"""The migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import command
from backend import migrations
from backend.db import Database
from backend.idempotency import sealing
from backend.idempotency import service as idempotency
from backend.idempotency.models import IdempotencyKey
from backend.models import Base
from backend.orders.rules import Actor
from backend.orders.service import place_order
from tests.api.order_fixtures import build_shop, draft
from tests.conftest import _run
from tests.writing import add


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


async def _store_old_answer(url: str, key: str, answer: bytes) -> None:
    """A row as the app wrote them before: the key and the answer as they were."""
    db = Database(url)
    try:
        headers = [["content-type", "application/json"]]
        await db.run(
            add,
            IdempotencyKey(
                principal="user:1", key=key, fingerprint="f", status=201, headers=headers, body=answer
            ),
        )
    finally:
        await db.dispose()


def test_keys_stored_before_are_hashed_and_their_answers_sealed_yet_still_replayed(database_url: str) -> None:
    config = migrations.alembic_config(database_url)
    command.downgrade(config, "0006")
    answer = b'{"tracking_url": "http://shop.test/t/secret-token"}'
    _run(_store_old_answer(database_url, "k-old", answer))
    migrations.upgrade(database_url)
    [(key, headers, body)] = _run(_sql(database_url, "SELECT key, headers, body FROM idempotency_keys"))
    assert (key, headers) == (sealing.lookup("k-old"), None)
    assert b"secret-token" not in bytes(body)

    async def replay() -> object:
        db = Database(database_url)
        try:
            return await idempotency.claim(db, idempotency.Keyed("user:1", "k-old", "f"))
        finally:
            await db.dispose()

    assert _run(replay()) == idempotency.Replay(201, [["content-type", "application/json"]], answer)


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
