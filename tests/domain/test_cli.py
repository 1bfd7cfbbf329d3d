"""The ``comptoir`` command against a real database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from backend.auth.models import ApiToken, User
from backend.auth.principal import hash_credential
from backend.catalog.models import Product
from backend.cli import main
from backend.demo.shop import BREAKAGE, DEMO_ACCOUNTS, PRODUCTS
from backend.inventory.models import StockLevel, StockMovement
from backend.kernel.db import Database, utcnow
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


def _add(cli: CliRunner, email: str, role: str = "staff") -> None:
    result = cli.invoke(main, ["user", "add", email, "--role", role, "--password", "long enough pw"])
    assert result.exit_code == 0, result.output


def test_tokens_are_created_with_an_expiry_listed_and_revoked(cli: CliRunner, database_url: str) -> None:
    _add(cli, "api@shop.test")
    created = cli.invoke(
        main, ["token", "create", "--user", "api@shop.test", "--label", "till", "--expires", "30d"]
    )
    assert created.exit_code == 0, created.output
    [(token_id, expires_at)] = _query(database_url, select(ApiToken.id, ApiToken.expires_at))
    assert timedelta(days=29) < expires_at - utcnow() <= timedelta(days=30)
    listed = cli.invoke(main, ["token", "list"])
    assert listed.exit_code == 0
    [row] = listed.stdout.splitlines()[1:]
    assert row.startswith(f"{token_id}\tapi@shop.test\ttill\t")
    assert row.endswith("\tactive")
    revoked = cli.invoke(main, ["token", "revoke", str(token_id)])
    assert revoked.exit_code == 0, revoked.output
    assert (
        cli.invoke(main, ["token", "list", "--user", "api@shop.test"])
        .stdout.splitlines()[1]
        .endswith("\trevoked")
    )
    assert _query(database_url, select(ApiToken.revoked_at))[0][0] is not None
    assert cli.invoke(main, ["token", "revoke", "9999"]).exit_code != 0


def test_token_create_refuses_bad_expiries_and_accounts_without_api_use(
    cli: CliRunner, database_url: str
) -> None:
    _add(cli, "api@shop.test")
    _add(cli, "shopper@shop.test", "customer")
    for expires in ("yesterday", "0d", "2001-01-01"):
        bad = cli.invoke(main, ["token", "create", "--user", "api@shop.test", "--expires", expires])
        assert bad.exit_code != 0, expires
    customer = cli.invoke(main, ["token", "create", "--user", "shopper@shop.test"])
    assert customer.exit_code != 0
    assert "may not use the API" in customer.output
    assert _query(database_url, select(func.count()).select_from(ApiToken)) == [(0,)]


def test_a_password_reset_revokes_every_token_and_ends_every_session(
    cli: CliRunner, database_url: str
) -> None:
    _add(cli, "api@shop.test")
    for _ in range(2):
        assert cli.invoke(main, ["token", "create", "--user", "api@shop.test"]).exit_code == 0
    reset = cli.invoke(main, ["user", "password", "api@shop.test", "--password", "a brand new secret"])
    assert reset.exit_code == 0, reset.output
    assert "2 API tokens revoked" in reset.output
    assert all(revoked is not None for (revoked,) in _query(database_url, select(ApiToken.revoked_at)))
    assert (
        cli.invoke(
            main, ["user", "password", "ghost@shop.test", "--password", "a brand new secret"]
        ).exit_code
        != 0
    )
    assert cli.invoke(main, ["user", "password", "api@shop.test", "--password", "short"]).exit_code != 0
