"""Events carry their transaction's id on PostgreSQL

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00.000000

Readers of the event log no longer rely on a lock that made event-writing transactions commit one
at a time: on PostgreSQL each event records the id of the transaction that wrote it (the column's
default), and readers follow (xact_id, id) only as far as every transaction below has ended.
Events written before have all committed, in id order: they take 0 and so come first. SQLite,
with its single writer, leaves the column empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A constant default fills the existing rows without rewriting the table; then the real one.
        op.add_column("events", sa.Column("xact_id", sa.BigInteger(), server_default="0", nullable=True))
        op.execute("ALTER TABLE events ALTER COLUMN xact_id SET DEFAULT (pg_current_xact_id()::text::bigint)")
        op.create_index("ix_events_xact_id_id", "events", ["xact_id", "id"], unique=False)
        return
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xact_id", sa.BigInteger(), nullable=True))
        # Always empty on SQLite: the index costs its writer nothing.
        batch_op.create_index(
            "ix_events_xact_id_id", ["xact_id", "id"], unique=False, sqlite_where=sa.text("xact_id IS NOT NULL")
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_xact_id_id")
        batch_op.drop_column("xact_id")
