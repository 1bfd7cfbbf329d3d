"""Delivery: runs, stops and their orders, positions, address pins, delivery settings; order slots

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-12 09:00:00.000000

A run (``delivery_runs``) is one driver's day: ordered ``run_stops``, each holding the packed
delivery orders for one address (``stop_orders``), with what the drop-off proved (recipient,
position, cash, photo and signature hashes) or why it failed. ``run_positions`` keeps the
positions sent during a started run, ``address_pins`` where addresses are, ``delivery_settings``
the shop's service time, road factor, speed and required proofs. Orders gain an optional
delivery slot (``delivery_slot_start``, ``delivery_slot_end``).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "address_pins",
        sa.Column("address_key", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address_key", name=op.f("pk_address_pins")),
    )
    op.create_table(
        "delivery_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_minutes", sa.Integer(), nullable=False),
        sa.Column("road_factor_percent", sa.Integer(), nullable=False),
        sa.Column("speed_kmh", sa.Integer(), nullable=False),
        sa.Column("require_photo", sa.Boolean(), nullable=False),
        sa.Column("require_signature", sa.Boolean(), nullable=False),
        sa.Column("require_recipient", sa.Boolean(), nullable=False),
        sa.Column("require_position", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_delivery_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_settings")),
    )
    op.create_table(
        "delivery_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("driver_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("start_label", sa.String(length=200), nullable=False),
        sa.Column("start_latitude", sa.Double(), nullable=False),
        sa.Column("start_longitude", sa.Double(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_latitude", sa.Double(), nullable=True),
        sa.Column("last_longitude", sa.Double(), nullable=True),
        sa.Column("last_accuracy_m", sa.Integer(), nullable=True),
        sa.Column("last_position_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cash_declared_minor", sa.Integer(), nullable=True),
        sa.Column("cash_declared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cash_received_minor", sa.Integer(), nullable=True),
        sa.Column("cash_received_by_id", sa.Integer(), nullable=True),
        sa.Column("cash_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cash_note", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "cash_declared_minor IS NULL OR cash_declared_minor >= 0",
            name=op.f("ck_delivery_runs_declared_not_negative"),
        ),
        sa.CheckConstraint(
            "cash_received_minor IS NULL OR cash_received_minor >= 0",
            name=op.f("ck_delivery_runs_received_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["cash_received_by_id"],
            ["users.id"],
            name=op.f("fk_delivery_runs_cash_received_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_delivery_runs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["driver_id"], ["users.id"], name=op.f("fk_delivery_runs_driver_id_users")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_delivery_runs_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_runs")),
    )
    with op.batch_alter_table("delivery_runs", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_runs_day_status", ["day", "status"], unique=False)
        batch_op.create_index("ix_delivery_runs_driver_id_day", ["driver_id", "day"], unique=False)

    op.create_table(
        "run_positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("accuracy_m", sa.Integer(), nullable=False),
        sa.Column("device_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["delivery_runs.id"],
            name=op.f("fk_run_positions_run_id_delivery_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_positions")),
    )
    with op.batch_alter_table("run_positions", schema=None) as batch_op:
        batch_op.create_index("ix_run_positions_run_id_id", ["run_id", "id"], unique=False)

    op.create_table(
        "run_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("address_key", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leg_seconds", sa.Integer(), nullable=False),
        sa.Column("leg_meters", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipient", sa.String(length=120), nullable=True),
        sa.Column("drop_latitude", sa.Double(), nullable=True),
        sa.Column("drop_longitude", sa.Double(), nullable=True),
        sa.Column("drop_accuracy_m", sa.Integer(), nullable=True),
        sa.Column("cash_minor", sa.Integer(), nullable=True),
        sa.Column("photo_hash", sa.String(length=64), nullable=True),
        sa.Column("signature_hash", sa.String(length=64), nullable=True),
        sa.Column("failure_reason", sa.String(length=16), nullable=True),
        sa.Column("failure_note", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "cash_minor IS NULL OR cash_minor >= 0", name=op.f("ck_run_stops_cash_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["delivery_runs.id"],
            name=op.f("fk_run_stops_run_id_delivery_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_stops")),
    )
    with op.batch_alter_table("run_stops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_stops_photo_hash"), ["photo_hash"], unique=False)
        batch_op.create_index("ix_run_stops_run_id_sequence", ["run_id", "sequence"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_stops_signature_hash"), ["signature_hash"], unique=False)

    op.create_table(
        "stop_orders",
        sa.Column("stop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_stop_orders_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["delivery_runs.id"],
            name=op.f("fk_stop_orders_run_id_delivery_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stop_id"], ["run_stops.id"], name=op.f("fk_stop_orders_stop_id_run_stops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("stop_id", "order_id", name=op.f("pk_stop_orders")),
    )
    with op.batch_alter_table("stop_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stop_orders_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stop_orders_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_slot_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("delivery_slot_end", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("delivery_slot_end")
        batch_op.drop_column("delivery_slot_start")

    with op.batch_alter_table("stop_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stop_orders_run_id"))
        batch_op.drop_index(batch_op.f("ix_stop_orders_order_id"))

    op.drop_table("stop_orders")
    with op.batch_alter_table("run_stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_stops_signature_hash"))
        batch_op.drop_index("ix_run_stops_run_id_sequence")
        batch_op.drop_index(batch_op.f("ix_run_stops_photo_hash"))

    op.drop_table("run_stops")
    with op.batch_alter_table("run_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_run_positions_run_id_id")

    op.drop_table("run_positions")
    with op.batch_alter_table("delivery_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_runs_driver_id_day")
        batch_op.drop_index("ix_delivery_runs_day_status")

    op.drop_table("delivery_runs")
    op.drop_table("delivery_settings")
    op.drop_table("address_pins")
