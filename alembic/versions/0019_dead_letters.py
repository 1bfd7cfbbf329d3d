"""Events a reader of the log set aside; refunds found by their credit note

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 15:20:00.000000

``dead_letters`` holds an event a durable reader (invoicing's reactions) failed on several times,
with the error, once per reader and event, so the reader moves on. ``ix_payments_credit_note_id``
finds the refunds of a credit note (its page lists them).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("consumer", "event_id", name=op.f("uq_dead_letters_consumer_event_id")),
    )
    op.create_index("ix_payments_credit_note_id", "payments", ["credit_note_id"])


def downgrade() -> None:
    op.drop_index("ix_payments_credit_note_id", table_name="payments")
    op.drop_table("dead_letters")
