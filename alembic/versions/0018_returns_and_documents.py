"""Returns and their lines, the return window; document links and their opens

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 11:00:00.000000

``returns`` holds a customer's request to send goods back and where it stands (requested,
approved or refused, received, refunded), with the credit note and refund it led to;
``return_lines`` each line's units, reason, condition on receipt and units restocked;
``return_settings`` the return window. ``document_links`` is one link per document and recipient
(only the token's hash), ``document_opens`` each time one was opened.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def _returns() -> None:
    op.create_table(
        "returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("refund_minor", sa.BigInteger(), nullable=False),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("received_at", WHEN, nullable=True),
        sa.Column("refunded_at", WHEN, nullable=True),
        sa.CheckConstraint("refund_minor >= 0", name=op.f("ck_returns_refund_not_negative")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"], ["invoices.id"], name=op.f("fk_returns_credit_note_id_invoices")
        ),
        sa.ForeignKeyConstraint(["refund_id"], ["payments.id"], name=op.f("fk_returns_refund_id_payments")),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_returns_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
    )
    op.create_index("ix_returns_status_id", "returns", ["status", "id"])
    op.create_index("ix_returns_order_id", "returns", ["order_id"])
    op.create_table(
        "return_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("condition", sa.String(length=16), nullable=True),
        sa.Column("restocked", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
        sa.CheckConstraint(
            "restocked >= 0 AND restocked <= quantity", name=op.f("ck_return_lines_restocked_within_quantity")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_lines_return_id_returns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_lines.id"], name=op.f("fk_return_lines_order_line_id_order_lines")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_return_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
        sa.UniqueConstraint("return_id", "order_line_id", name=op.f("uq_return_lines_return_id_order_line_id")),
    )
    op.create_index("ix_return_lines_product_id", "return_lines", ["product_id"])
    op.create_table(
        "return_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_return_settings_single_row")),
        sa.CheckConstraint(
            "window_days >= 0 AND window_days <= 365", name=op.f("ck_return_settings_window_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_settings")),
    )


def _documents() -> None:
    op.create_table(
        "document_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("last_opened_at", WHEN, nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.CheckConstraint("opens >= 0", name=op.f("ck_document_links_opens_not_negative")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_document_links_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_document_links_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_document_links_token_hash")),
    )
    op.create_index("ix_document_links_kind_subject_id", "document_links", ["kind", "subject_id"])
    op.create_index("ix_document_links_order_id", "document_links", ["order_id"])
    op.create_table(
        "document_opens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=16), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["document_links.id"],
            name=op.f("fk_document_opens_link_id_document_links"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_document_opens_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_opens")),
    )
    op.create_index("ix_document_opens_link_id", "document_opens", ["link_id"])
    op.create_index("ix_document_opens_kind_subject_id", "document_opens", ["kind", "subject_id"])


def upgrade() -> None:
    _returns()
    _documents()


def downgrade() -> None:
    op.drop_table("document_opens")
    op.drop_table("document_links")
    op.drop_table("return_settings")
    op.drop_table("return_lines")
    op.drop_table("returns")
