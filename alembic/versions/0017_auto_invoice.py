"""Invoices made by themselves: the moment an order is invoiced without anyone asking

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 11:30:00.000000

``shop_billing.auto_invoice_at`` is the order status at which an invoice is drafted and issued
by itself (``shipped``, ``picked_up``, ``delivered``…), or empty: only on demand.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shop_billing") as batch:
        batch.add_column(sa.Column("auto_invoice_at", sa.String(24), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("shop_billing") as batch:
        batch.drop_column("auto_invoice_at")
