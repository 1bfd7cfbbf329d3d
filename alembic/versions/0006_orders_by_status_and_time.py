"""orders by status and time placed

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 05:00:00.000000

The order list filtered by dates shows the newest first by the time placed and walks
(placed_at, id); with a status as well it walks (status, placed_at, id), so a rare status over
a long period is found in its own rows instead of among every order of the period.

SQLite: where the database has statistics (someone ran ANALYZE), the orders' are taken again.
Without a row of its own the new index would look far more selective than (status, id), which
holds the same statuses, and a status without dates would sort all its orders instead of walking
them by id. PostgreSQL estimates a plain index from the table's column statistics.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _has_sqlite_statistics() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    found = bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
    return found.first() is not None


def upgrade() -> None:
    op.create_index("ix_orders_status_placed_at_id", "orders", ["status", "placed_at", "id"])
    if _has_sqlite_statistics():
        op.execute("ANALYZE orders")


def downgrade() -> None:
    op.drop_index("ix_orders_status_placed_at_id", table_name="orders")
