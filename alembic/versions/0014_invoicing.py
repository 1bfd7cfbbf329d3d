"""Invoicing: invoices and credit notes, their lines, payments and refunds, the seller's settings

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-12 09:00:00.000000

``invoices`` holds invoices and credit notes (``kind``), each with a copy of what it says (seller,
customer, totals per rate); ``invoice_lines`` their lines; ``payments`` money in and back out
(``kind``) against an order, an invoice or both. ``shop_billing`` is the seller's legal and
billing settings (one row). Invoice numbers come from ``counters`` (series ``F`` and ``AV``).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "shop_billing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("legal_name", sa.String(120), nullable=False),
        sa.Column("address_line1", sa.String(200), nullable=False),
        sa.Column("postal_code", sa.String(20), nullable=False),
        sa.Column("city", sa.String(120), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("siren", sa.String(9), nullable=False),
        sa.Column("siret", sa.String(14), nullable=False),
        sa.Column("vat_number", sa.String(16), nullable=False),
        sa.Column("legal_form", sa.String(40), nullable=False),
        sa.Column("capital_minor", sa.BigInteger(), nullable=True),
        sa.Column("vat_exempt", sa.Boolean(), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("late_penalty_rate_centi", sa.Integer(), nullable=True),
        sa.Column("iban", sa.String(34), nullable=False),
        sa.Column("pay_before_dispatch", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_shop_billing_single_row")),
        sa.CheckConstraint(
            "payment_terms_days >= 0 AND payment_terms_days <= 60", name=op.f("ck_shop_billing_terms_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_billing")),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("number", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("client_ref", sa.String(64), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customer", sa.JSON(), nullable=False),
        sa.Column("seller", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("rates", sa.JSON(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("credited_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("issued_at", NOW, nullable=True),
        sa.Column("sent_at", NOW, nullable=True),
        sa.CheckConstraint(
            "total_minor >= 0 AND tax_minor >= 0 AND net_minor >= 0",
            name=op.f("ck_invoices_totals_not_negative"),
        ),
        sa.CheckConstraint(
            "credited_minor >= 0 AND credited_minor <= total_minor",
            name=op.f("ck_invoices_credit_within_total"),
        ),
        sa.CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= paid_minor",
            name=op.f("ck_invoices_refund_within_paid"),
        ),
        sa.CheckConstraint(
            "status = 'draft' OR number IS NOT NULL", name=op.f("ck_invoices_issued_has_number")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_invoices_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["invoices.id"], name=op.f("fk_invoices_corrects_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_invoices_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_invoices_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
        sa.UniqueConstraint("client_ref", name=op.f("uq_invoices_client_ref")),
    )
    op.create_index("ix_invoices_status_id", "invoices", ["status", "id"])
    op.create_index("ix_invoices_customer_id_id", "invoices", ["customer_id", "id"])
    op.create_index("ix_invoices_order_id", "invoices", ["order_id"])
    op.create_index("ix_invoices_corrects_id", "invoices", ["corrects_id"])
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=True),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate_centi", sa.Integer(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("corrects_position", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_invoice_lines_quantity_positive")),
        sa.CheckConstraint("unit_price_minor >= 0", name=op.f("ck_invoice_lines_price_not_negative")),
        sa.CheckConstraint(
            "tax_rate_centi >= 0 AND tax_rate_centi <= 10000", name=op.f("ck_invoice_lines_tax_rate_range")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint("invoice_id", "position", name=op.f("uq_invoice_lines_invoice_id_position")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(24), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("provider_ref", sa.String(100), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", NOW, nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "order_id IS NOT NULL OR invoice_id IS NOT NULL", name=op.f("ck_payments_has_target")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payments_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"], ["invoices.id"], name=op.f("fk_payments_credit_note_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_payments_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("provider_ref", name=op.f("uq_payments_provider_ref")),
    )
    op.create_index("ix_payments_order_id", "payments", ["order_id"])
    op.create_index("ix_payments_invoice_id", "payments", ["invoice_id"])


def downgrade() -> None:
    op.drop_table("payments")
    op.drop_table("invoice_lines")
    op.drop_table("invoices")
    op.drop_table("shop_billing")
