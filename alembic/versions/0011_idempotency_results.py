"""Idempotency keys store the change's result, written with the change

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-08 09:00:00.000000

A key is now claimed, and its result stored, in the transaction of the change itself: no key is
ever "in flight" after a crash, and the answer status and headers are no longer stored. Keys an
earlier version left in flight (no status: their process died before answering) are released at
once. Keys it answered keep their sealed answer, in the old form: a replay of one is refused as
handled before (``sealing.Outdated``), never applied a second time.
A downgrade forgets every key, as the 7-day purge would: the older code cannot read the new results.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_keys WHERE status IS NULL")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("status")
        batch_op.drop_column("headers")


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))
