"""Stock screens through their HTML forms: adjust, transfer, reorder settings, the overview and a
product's page. Each write is one transaction: refused forms leave the stock and the ledger as they were."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.inventory.commands import reserve_stock
from backend.inventory.models import StockMovement
from backend.inventory.rules import Line
from backend.kernel.events import Event
from backend.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from backend.purchasing.reorder import draft_reorder
from tests.api.conftest import Harness, post_form
from tests.api.stock_fixtures import add_location, add_product, level
from tests.api.stock_helpers import event_types, ledger_mismatches, receive_stock
from tests.writing import add, run_sql


@pytest.fixture
async def shelf(harness: Harness) -> dict[str, int]:
    """A default warehouse with 10 apples (barcode 3760001), a shop with 2, a pear nowhere."""
    warehouse = await add_location(harness.db, "WH", default=True)
    shop = await add_location(harness.db, "SHOP")
    apple = await add_product(harness.db, "APPLE", barcode="3760001")
    pear = await add_product(harness.db, "PEAR")
    await receive_stock(harness.db, apple, warehouse, 10)
    await receive_stock(harness.db, apple, shop, 2)
    return {"warehouse": warehouse, "shop": shop, "apple": apple, "pear": pear}


async def _movements(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(StockMovement))


async def _adjust(client, shelf: dict[str, int], **fields: str):
    form = {"product": "APPLE", "location": str(shelf["warehouse"]), "delta": "-3", "reason": "Damaged"}
    return await post_form(client, "/stock/adjust", {**form, **fields})


async def test_an_adjustment_from_the_phone_changes_stock_records_why_and_shows_the_product(
    harness: Harness, shelf: dict[str, int]
) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        form = await client.get("/stock/adjust?product=APPLE")
        response = await _adjust(client, shelf, product="3760001")
        page = await client.get(response.headers["location"])
    assert form.status_code == 200
    assert f'<option value="{shelf["warehouse"]}" selected>' in form.text  # the default location
    assert response.status_code == 303
    assert response.headers["location"] == f"/stock/products/{shelf['apple']}?saved=adjusted"
    assert (await level(harness.db, shelf["apple"], shelf["warehouse"])).on_hand == 7
    assert "Stock adjusted." in page.text
    assert "<strong>-3</strong> Adjustment · WH" in page.text
    assert "Damaged" in page.text
    assert "Sami Staff" in page.text
    assert (await event_types(harness.db))[-2:] == ["stock.adjusted", "stock.changed"]
    assert await ledger_mismatches(harness.db) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": ""}, "Say why the stock changes."),
        ({"reason": "   "}, "Say why the stock changes."),
        ({"delta": "0"}, "Enter a change other than zero."),
        ({"delta": "abc"}, "Enter a whole number."),
        ({"delta": "1.5"}, "Enter a whole number."),
        ({"delta": "1_000"}, "Enter a whole number."),
        ({"delta": "1000001"}, "Enter at most 1,000,000."),
        ({"delta": "99999999999"}, "Enter at most 1,000,000."),
        ({"product": "NOPE"}, "No product matches “NOPE”: search by name, SKU or barcode."),
        ({"location": "999"}, "Choose a location from the list."),
        ({"location": "x"}, "Choose a location from the list."),
    ],
)
async def test_a_wrong_adjustment_form_comes_back_with_its_message_and_changes_nothing(
    harness: Harness, shelf: dict[str, int], fields: dict[str, str], message: str
) -> None:
    before = await _movements(harness)
    async with harness.signed_in(Role.STAFF) as client:
        response = await _adjust(client, shelf, **fields)
    assert response.status_code == 400
    assert message in response.text
    assert await _movements(harness) == before
    assert (await level(harness.db, shelf["apple"], shelf["warehouse"])).on_hand == 10


async def test_removing_what_is_reserved_is_a_409_that_says_how_much_there_is(
    harness: Harness, shelf: dict[str, int]
) -> None:
    await reserve_stock(
        harness.db, "order:7", [Line(shelf["apple"], 8)], shelf["warehouse"], on_low=draft_reorder
    )
    before = await _movements(harness)
    async with harness.signed_in(Role.OWNER) as client:
        response = await _adjust(client, shelf, delta="-3")
    assert response.status_code == 409
    assert "Not enough stock: 10 on hand, 8 of them reserved." in response.text
    assert 'value="-3"' in response.text  # what was typed is kept
    assert await _movements(harness) == before


async def test_a_transfer_moves_stock_between_locations_in_one_step(
    harness: Harness, shelf: dict[str, int]
) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        form = await client.get("/stock/transfer")
        response = await post_form(
            client,
            "/stock/transfer",
            {"product": "apple", "source": shelf["warehouse"], "target": shelf["shop"], "quantity": "4"},
        )
        page = await client.get(response.headers["location"])
    assert form.status_code == 200
    assert response.status_code == 303
    assert (await level(harness.db, shelf["apple"], shelf["warehouse"])).on_hand == 6
    assert (await level(harness.db, shelf["apple"], shelf["shop"])).on_hand == 6
    async with harness.db.read() as session:
        kinds = list(
            await session.scalars(select(StockMovement.kind).order_by(StockMovement.id.desc()).limit(2))
        )
    assert sorted(kinds) == ["transfer_in", "transfer_out"]
    assert "Stock transferred." in page.text
    assert "Transfer out · WH → SHOP" in page.text
    assert "Transfer in · SHOP ← WH" in page.text
    assert "stock.transferred" in await event_types(harness.db)
    assert await ledger_mismatches(harness.db) == []


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"target": "WH"}, 400, "Choose two different locations."),
        ({"quantity": "11"}, 409, "Not enough stock: 10 on hand, 0 of them reserved."),
        ({"quantity": "0"}, 400, "Enter a number above zero."),
        ({"quantity": "-2"}, 400, "Enter a number above zero."),
        ({"product": "PEAR"}, 409, "Not enough stock: 0 on hand"),
    ],
)
async def test_an_impossible_transfer_is_refused_and_moves_nothing(
    harness: Harness, shelf: dict[str, int], fields: dict[str, str], status: int, message: str
) -> None:
    form = {"product": "APPLE", "source": shelf["warehouse"], "target": shelf["shop"], "quantity": "3"}
    if fields.get("target") == "WH":
        fields = {"target": str(shelf["warehouse"])}
    before = await _movements(harness)
    async with harness.signed_in(Role.STAFF) as client:
        response = await post_form(client, "/stock/transfer", {**form, **fields})
    assert response.status_code == status, response.text
    assert message in response.text
    assert await _movements(harness) == before
    assert (await level(harness.db, shelf["apple"], shelf["shop"])).on_hand == 2


async def test_raising_the_reorder_point_drafts_a_purchase_order_in_the_same_step(
    harness: Harness, shelf: dict[str, int]
) -> None:
    supplier = await harness.db.run(add, Supplier(name="Orchard"))
    link = "UPDATE products SET supplier_id = :supplier WHERE id = :id"
    await harness.db.run(run_sql, link, {"supplier": supplier, "id": shelf["apple"]})
    form = {
        "location": shelf["warehouse"],
        "reorder_point": "12",
        "reorder_qty": "6",
        "seen_point": "0",
        "seen_qty": "0",
    }
    async with harness.signed_in(Role.STAFF) as client:
        response = await post_form(client, f"/stock/products/{shelf['apple']}/reorder", form)
        stale = await post_form(
            client, f"/stock/products/{shelf['apple']}/reorder", {**form, "reorder_point": "3"}
        )
    assert response.status_code == 303
    assert stale.status_code == 409
    assert "Someone changed the reorder settings meanwhile" in stale.text
    stock = await level(harness.db, shelf["apple"], shelf["warehouse"])
    assert (stock.reorder_point, stock.reorder_qty) == (12, 6)
    async with harness.db.read() as session:
        line = await session.scalar(select(PurchaseOrderLine))
        order = await session.get(PurchaseOrder, line.purchase_order_id)
    assert (line.product_id, line.quantity_ordered, order.status) == (shelf["apple"], 6, "draft")
    assert {"stock.reorder_set", "purchasing.reorder_drafted"} <= set(await event_types(harness.db))


@pytest.mark.parametrize("field", ["reorder_point", "reorder_qty", "seen_point"])
async def test_reorder_settings_must_be_whole_numbers(
    harness: Harness, shelf: dict[str, int], field: str
) -> None:
    form = {
        "location": shelf["warehouse"],
        "reorder_point": "2",
        "reorder_qty": "6",
        "seen_point": "0",
        "seen_qty": "0",
    }
    async with harness.signed_in(Role.OWNER) as client:
        response = await post_form(client, f"/stock/products/{shelf['apple']}/reorder", {**form, field: "-1"})
        missing = await post_form(client, "/stock/products/999999/reorder", form)
    assert response.status_code == 400
    assert missing.status_code == 404
    if field != "seen_point":  # a field's message shows on the warehouse's form only, open
        assert response.text.count("Enter zero or more.") == 1
        assert f'id="f-{shelf["warehouse"]}-{field}"' in response.text
        assert f'id="f-{shelf["shop"]}-{field}"' in response.text
        assert response.text.count("<details open>") == 1
    else:
        assert "The form is out of date." in response.text
    assert (await level(harness.db, shelf["apple"], shelf["warehouse"])).reorder_point == 0


async def test_the_overview_lists_low_stock_first_and_filters_by_location(
    harness: Harness, shelf: dict[str, int]
) -> None:
    await receive_stock(harness.db, shelf["pear"], shelf["shop"], 1)
    low = "UPDATE stock_levels SET reorder_point = 5 WHERE product_id = :product AND location_id = :location"
    await harness.db.run(run_sql, low, {"product": shelf["pear"], "location": shelf["shop"]})
    async with harness.signed_in(Role.STAFF) as client:
        everything = await client.get("/stock")
        shop_only = await client.get(f"/stock?location={shelf['shop']}")
        searched = await client.get("/stock?q=app", headers={"hx-request": "true"})
    assert everything.status_code == 200
    rows = ['data-stock="PEAR@SHOP"', 'data-stock="APPLE@SHOP"', 'data-stock="APPLE@WH"']
    positions = [everything.text.index(row) for row in rows]
    assert positions == sorted(positions)  # the low pear first, then by name
    assert everything.text.count("data-low") == 1
    assert "APPLE@WH" not in shop_only.text
    assert "PEAR@SHOP" in shop_only.text
    assert "<html" not in searched.text  # htmx gets the rows only
    assert "PEAR" not in searched.text


async def test_a_products_page_shows_each_location_and_the_ledger(
    harness: Harness, shelf: dict[str, int]
) -> None:
    await reserve_stock(
        harness.db, "order:9", [Line(shelf["apple"], 4)], shelf["warehouse"], on_low=draft_reorder
    )
    async with harness.signed_in(Role.STAFF) as client:
        page = await client.get(f"/stock/products/{shelf['apple']}")
        missing = await client.get("/stock/products/999999")
    assert page.status_code == 200
    assert missing.status_code == 404
    warehouse_row = page.text[page.text.index('data-location="WH"') :].split("</li>")[0]
    assert "data-on-hand>10 on hand<" in warehouse_row
    assert "data-reserved>4 reserved<" in warehouse_row
    assert "data-available>6 available<" in warehouse_row
    assert page.text.count("Receipt · ") == 2


@pytest.mark.parametrize("role", [Role.DRIVER, Role.CUSTOMER])
async def test_drivers_and_customers_cannot_use_the_stock_screens(
    harness: Harness, shelf: dict[str, int], role: Role
) -> None:
    async with harness.signed_in(role) as client:
        seen = await client.get(f"/stock/products/{shelf['apple']}")
        adjusted = await _adjust(client, shelf)
        moved = await post_form(client, "/stock/transfer", {"product": "APPLE"})
    assert seen.status_code == adjusted.status_code == moved.status_code == 403
    assert (await level(harness.db, shelf["apple"], shelf["warehouse"])).on_hand == 10


async def test_a_visitor_is_asked_to_sign_in(harness: Harness, shelf: dict[str, int]) -> None:
    async with harness.client() as client:
        response = await _adjust(client, shelf)
    assert response.status_code == 401
    async with harness.db.read() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Event).where(Event.type == "stock.adjusted")
            )
            == 0
        )
