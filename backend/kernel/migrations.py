"""Running Alembic from code, so `comptoir db upgrade` needs no working directory or ini file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.config import Config

from alembic import command

SCRIPT_LOCATION = Path(__file__).resolve().parents[2] / "alembic"

# Search structures that only migrations create (engine-specific, see 0004): the models do not
# describe them, so comparing the models with a database must not report them.
MIGRATION_ONLY_TABLE_PREFIX = "products_name_search"
MIGRATION_ONLY_INDEXES = frozenset({"ix_products_name_trgm"})


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's ``include_name`` hook for autogenerate and the drift check."""
    if type_ == "table" and name and name.startswith(MIGRATION_ONLY_TABLE_PREFIX):
        return False
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Move the schema to ``revision``: forward, or back when it is older (e.g. "base")."""
    config = alembic_config(database_url)
    if revision == "base":
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """For callers already inside an event loop: the env script runs its own loop in a thread."""
    await asyncio.to_thread(upgrade, database_url, revision)
