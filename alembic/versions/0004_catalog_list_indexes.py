"""catalog list indexes and name search

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:00:00.000000

The category filter walks (category_id, name, id) in the list's order instead of sorting every
product of the category. Name search gets a trigram index on each engine; it exists only here, not
in the models (``backend.kernel.migrations.MIGRATION_ONLY`` keeps the drift check from reporting it):

* SQLite: an FTS5 table with the trigram tokenizer over ``products.name`` (external content, so
  it stores the index only), kept in step by triggers. A later migration that rebuilds
  ``products`` (batch mode) drops these triggers and must create them again.
* PostgreSQL: a GIN trigram index from the ``pg_trgm`` extension. A server without the extension
  still migrates; the search then scans, as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE products_name_search USING fts5("
    "name, content='products', content_rowid='id', tokenize='trigram')",
    "INSERT INTO products_name_search(products_name_search) VALUES ('rebuild')",
    "CREATE TRIGGER products_name_search_insert AFTER INSERT ON products BEGIN "
    "INSERT INTO products_name_search(rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER products_name_search_delete AFTER DELETE ON products BEGIN "
    "INSERT INTO products_name_search(products_name_search, rowid, name) "
    "VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER products_name_search_update AFTER UPDATE OF name ON products BEGIN "
    "INSERT INTO products_name_search(products_name_search, rowid, name) "
    "VALUES ('delete', old.id, old.name); "
    "INSERT INTO products_name_search(rowid, name) VALUES (new.id, new.name); END",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS products_name_search_update",
    "DROP TRIGGER IF EXISTS products_name_search_delete",
    "DROP TRIGGER IF EXISTS products_name_search_insert",
    "DROP TABLE IF EXISTS products_name_search",
)


def _create_trigram_index() -> None:
    bind = op.get_bind()
    # A savepoint: without pg_trgm (or the right to create it) the rest of the upgrade goes on.
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        bind.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_products_name_trgm ON products USING gin (name gin_trgm_ops)"
        )
    except Exception:
        savepoint.rollback()
    else:
        savepoint.commit()


def upgrade() -> None:
    op.drop_index("ix_products_category_id", table_name="products")
    op.create_index("ix_products_category_id_name_id", "products", ["category_id", "name", "id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    else:
        _create_trigram_index()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH_DROP:
            op.execute(statement)
    else:
        # The extension stays: other objects in the database may have come to use it.
        op.execute("DROP INDEX IF EXISTS ix_products_name_trgm")
    op.drop_index("ix_products_category_id_name_id", table_name="products")
    op.create_index("ix_products_category_id", "products", ["category_id"])
