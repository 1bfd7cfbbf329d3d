"""Web Push: subscriptions, the outbox of notifications, the dispatcher's lease, alerts told once

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12 09:00:00.000000

``push_subscriptions`` holds each browser's endpoint and keys, owned by an account or by one
order's tracking link, with its language and the kinds it asked for. ``push_deliveries`` is what
the dispatcher decided and has not settled with the push service yet; ``push_leases`` says which
process dispatches; ``push_alerts`` what was already told once (a product low, an order late).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=128), nullable=False),
        sa.Column("auth", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (order_id IS NULL)", name=op.f("ck_push_subscriptions_one_owner")
        ),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_push_subscriptions_failures_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_push_subscriptions_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_push_subscriptions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscriptions_endpoint")),
    )
    op.create_index(op.f("ix_push_subscriptions_user_id"), "push_subscriptions", ["user_id"])
    op.create_index(op.f("ix_push_subscriptions_order_id"), "push_subscriptions", ["order_id"])
    op.create_table(
        "push_deliveries",
        sa.Column("id", EVENT_ID, autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("event_id", EVENT_ID, nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["push_subscriptions.id"],
            name=op.f("fk_push_deliveries_subscription_id_push_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_deliveries")),
    )
    op.create_index(op.f("ix_push_deliveries_subscription_id"), "push_deliveries", ["subscription_id"])
    op.create_index("ix_push_deliveries_due", "push_deliveries", ["due_at", "id"])
    op.create_table(
        "push_leases",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_push_leases")),
    )
    op.create_table(
        "push_alerts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_push_alerts")),
    )


def downgrade() -> None:
    op.drop_table("push_alerts")
    op.drop_table("push_leases")
    op.drop_index("ix_push_deliveries_due", table_name="push_deliveries")
    op.drop_index(op.f("ix_push_deliveries_subscription_id"), table_name="push_deliveries")
    op.drop_table("push_deliveries")
    op.drop_index(op.f("ix_push_subscriptions_order_id"), table_name="push_subscriptions")
    op.drop_index(op.f("ix_push_subscriptions_user_id"), table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
