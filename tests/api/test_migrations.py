"""The migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from backend import migrations
from backend.models import Base
from tests.conftest import _run


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
