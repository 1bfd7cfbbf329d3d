"""The ``comptoir`` command against a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from backend.auth.models import ApiToken, User
from backend.auth.principal import hash_credential
from backend.catalog.models import Product
from backend.cli import main
from backend.db import Database
from backend.demo import BREAKAGE, DEMO_ACCOUNTS, PRODUCTS
from backend.inventory.models import StockLevel, StockMovement
from backend.models import Base
from backend.purchasing.models import PurchaseOrder, PurchaseOrderLine
from tests.conftest import _run


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", database_url)
    monkeypatch.setenv("COMPTOIR_DATA_DIR", str(tmp_path))
    return CliRunner()


def _query(database_url: str, statement):
    async def run():
        db = Database(database_url)
        try:
            async with db.read() as session:
                return (await session.execute(statement)).all()
        finally:
            await db.dispose()

    return _run(run())


def test_demo_creates_the_demo_accounts_once(cli: CliRunner, database_url: str) -> None:
    assert cli.invoke(main, ["demo", "--orders", "30"]).exit_code == 0
    again = cli.invoke(main, ["demo", "--orders", "30"])
    assert again.exit_code == 0
    assert "0 new records" in again.output
    emails = {row[0] for row in _query(database_url, select(User.email))}
    assert emails == {email for email, *_ in DEMO_ACCOUNTS}


def _row_counts(database_url: str) -> dict[str, int]:
    """Rows in every table, events and counters included: a second run must not even log."""
    tables = Base.metadata.sorted_tables
    counts = _query(
        database_url, select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    )
    return dict(zip((table.name for table in tables), counts[0], strict=True))


def test_demo_run_twice_adds_no_row_anywhere(cli: CliRunner, database_url: str) -> None:
    assert cli.invoke(main, ["demo", "--orders", "30"]).exit_code == 0
    first = _row_counts(database_url)
    assert cli.invoke(main, ["demo", "--orders", "30"]).exit_code == 0
    assert _row_counts(database_url) == first
    assert first["products"] == len(PRODUCTS)
    assert first["locations"] == 2
    assert first["suppliers"] == 3


def test_demo_stock_ledger_sums_to_on_hand_and_reorders_are_drafted(
    cli: CliRunner, database_url: str
) -> None:
    assert cli.invoke(main, ["demo", "--orders", "30"]).exit_code == 0
    ledger = (
        select(func.coalesce(func.sum(StockMovement.quantity), 0))
        .where(
            StockMovement.product_id == StockLevel.product_id,
            StockMovement.location_id == StockLevel.location_id,
        )
        .scalar_subquery()
    )
    levels = _query(database_url, select(StockLevel.on_hand, ledger))
    assert len(levels) > len(PRODUCTS)  # both locations hold stock
    assert all(on_hand == total for on_hand, total in levels)
    drafted = _query(
        database_url,
        select(Product.sku)
        .join(PurchaseOrderLine, PurchaseOrderLine.product_id == Product.id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status == "draft"),
    )
    assert BREAKAGE[0] in {sku for (sku,) in drafted}


def test_demo_if_empty_leaves_a_database_with_accounts_alone(cli: CliRunner, database_url: str) -> None:
    result = cli.invoke(
        main, ["user", "add", "boss@shop.test", "--role", "owner", "--password", "long enough pw"]
    )
    assert result.exit_code == 0, result.output
    assert cli.invoke(main, ["demo", "--if-empty"]).exit_code == 0
    assert _query(database_url, select(func.count()).select_from(User)) == [(1,)]


def test_user_add_refuses_a_bad_email_a_short_or_common_password_and_duplicates(cli: CliRunner) -> None:
    bad_email = cli.invoke(main, ["user", "add", "nope", "--role", "staff", "--password", "long enough pw"])
    short = cli.invoke(main, ["user", "add", "a@shop.test", "--role", "staff", "--password", "short"])
    common = cli.invoke(main, ["user", "add", "a@shop.test", "--role", "staff", "--password", "iloveyou123"])
    bad_role = cli.invoke(
        main, ["user", "add", "a@shop.test", "--role", "king", "--password", "long enough pw"]
    )
    first = cli.invoke(
        main, ["user", "add", "a@shop.test", "--role", "staff", "--password", "long enough pw"]
    )
    duplicate = cli.invoke(
        main, ["user", "add", "A@shop.test", "--role", "staff", "--password", "long enough pw"]
    )
    assert first.exit_code == 0
    for result in (bad_email, short, bad_role, duplicate, common):
        assert result.exit_code != 0
    assert "too_common" in common.output


def test_token_create_prints_only_a_token_that_is_stored_hashed(cli: CliRunner, database_url: str) -> None:
    cli.invoke(main, ["user", "add", "api@shop.test", "--role", "staff", "--password", "long enough pw"])
    result = cli.invoke(main, ["token", "create", "--user", "api@shop.test"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert "\n" not in token
    assert token.startswith("cmp_")
    [(stored,)] = _query(database_url, select(ApiToken.token_hash))
    assert stored == hash_credential(token)
    unknown = cli.invoke(main, ["token", "create", "--user", "ghost@shop.test"])
    assert unknown.exit_code != 0
    assert unknown.stdout == ""
