"""orders by status and time placed

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 05:00:00.000000

The order list filtered by dates shows the newest first by the time placed and walks
(placed_at, id); with a status as well it walks (status, placed_at, id), so a rare status over
a long period is found in its own rows instead of among every order of the period.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_status_placed_at_id", "orders", ["status", "placed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_orders_status_placed_at_id", table_name="orders")
