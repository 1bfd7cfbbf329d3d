"""Tracking links staff share, how long links work, customers' ratings

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-13 09:00:00.000000

``orders.share_salt`` and ``orders.share_token_hash``: the tracking link staff hand on, derived
again from the salt and the instance secret, looked up by its hash; the checkout's link is
unchanged. ``shop_profile.tracking_days``: a link stops working that many days after its order is
done. ``order_ratings``: one rating (1 to 5 stars and a comment) per delivered or collected order.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added, not rebuilt: SQLite keeps the orders table (and its index statistics) as it is.
    op.add_column("orders", sa.Column("share_salt", sa.String(length=32), nullable=True))
    op.add_column("orders", sa.Column("share_token_hash", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_orders_share_token_hash"), "orders", ["share_token_hash"], unique=True)
    op.add_column("shop_profile", sa.Column("tracking_days", sa.Integer(), server_default="30", nullable=False))
    op.create_table(
        "order_ratings",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("stars >= 1 AND stars <= 5", name=op.f("ck_order_ratings_stars_range")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_ratings_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_ratings")),
    )
    op.create_index(op.f("ix_order_ratings_rated_at"), "order_ratings", ["rated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_order_ratings_rated_at"), table_name="order_ratings")
    op.drop_table("order_ratings")
    with op.batch_alter_table("shop_profile") as batch:
        batch.drop_column("tracking_days")
    op.drop_index(op.f("ix_orders_share_token_hash"), table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("share_token_hash")
        batch.drop_column("share_salt")
