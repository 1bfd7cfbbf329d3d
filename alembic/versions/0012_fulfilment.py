"""Fulfilment: pick batches, picked quantities, parcels, hand-over, carriers, shelf positions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00.000000

Accepted orders are picked in batches (``pick_batches``), line by line (``picked_lines``), packed
and handed over (``fulfilments``: parcels, weight, carrier and tracking number, the pickup code's
keyed hash and its wrong tries). ``carriers`` holds the shop's own list; empty, the defaults apply.
Stock levels gain an optional shelf position (``bin``) that pick lists are sorted by.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carriers",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("tracking_url", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_carriers")),
    )
    op.create_table(
        "pick_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("picker_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_pick_batches_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["picker_id"], ["users.id"], name=op.f("fk_pick_batches_picker_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_batches")),
    )
    op.create_table(
        "fulfilments",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("picker_id", sa.Integer(), nullable=True),
        sa.Column("parcels", sa.Integer(), nullable=True),
        sa.Column("weight_g", sa.Integer(), nullable=True),
        sa.Column("carrier", sa.String(length=32), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("pickup_salt", sa.String(length=32), nullable=True),
        sa.Column("pickup_code_hash", sa.String(length=64), nullable=True),
        sa.Column("wrong_codes", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("picking_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("packed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("parcels IS NULL OR parcels > 0", name=op.f("ck_fulfilments_parcels_positive")),
        sa.CheckConstraint("weight_g IS NULL OR weight_g > 0", name=op.f("ck_fulfilments_weight_positive")),
        sa.CheckConstraint("wrong_codes >= 0", name=op.f("ck_fulfilments_wrong_codes_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["pick_batches.id"],
            name=op.f("fk_fulfilments_batch_id_pick_batches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fulfilments_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["picker_id"], ["users.id"], name=op.f("fk_fulfilments_picker_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_fulfilments")),
    )
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fulfilments_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_fulfilments_dispatched_at", ["dispatched_at"], unique=False)

    op.create_table(
        "picked_lines",
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("picked_quantity", sa.Integer(), nullable=False),
        sa.Column("short_quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "picked_quantity >= 0 AND short_quantity >= 0",
            name=op.f("ck_picked_lines_quantities_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_picked_lines_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_picked_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_line_id", name=op.f("pk_picked_lines")),
    )
    with op.batch_alter_table("picked_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_picked_lines_order_id"), ["order_id"], unique=False)

    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bin", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_column("bin")

    with op.batch_alter_table("picked_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_picked_lines_order_id"))

    op.drop_table("picked_lines")
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_index("ix_fulfilments_dispatched_at")
        batch_op.drop_index(batch_op.f("ix_fulfilments_batch_id"))

    op.drop_table("fulfilments")
    op.drop_table("pick_batches")
    op.drop_table("carriers")
