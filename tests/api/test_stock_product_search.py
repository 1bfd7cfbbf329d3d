"""Stock forms find their product the way the catalog does (name, SKU or barcode), with suggestions
as one types and, without JavaScript, a search then a choice; a name never moves stock by itself."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.inventory.models import StockMovement
from tests.api.conftest import Harness, post_form
from tests.api.stock_fixtures import add_location, add_product, level
from tests.api.stock_helpers import receive_stock

HTMX = {"hx-request": "true"}


@pytest.fixture
async def shelf(harness: Harness) -> dict[str, int]:
    """A warehouse with green and red apples (the red one scanned as 3760001) and a pear."""
    warehouse = await add_location(harness.db, "WH", default=True)
    barcodes = {"RED-APPLE": "3760001"}
    ids = {
        name: await add_product(harness.db, name, barcode=barcodes.get(name))
        for name in ("GREEN-APPLE", "RED-APPLE", "PEAR")
    }
    for product in ids.values():
        await receive_stock(harness.db, product, warehouse, 10)
    return {"warehouse": warehouse, **ids}


async def _movements(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(StockMovement))


def _choices(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('name="choose" value="')[1:]]


async def test_typing_part_of_a_name_suggests_the_matching_products_alone(
    harness: Harness, shelf: dict[str, int]
) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        by_name = await client.get("/stock/adjust", params={"product": "apple"}, headers=HTMX)
        by_sku = await client.get("/stock/adjust", params={"product": "pear"}, headers=HTMX)
        by_barcode = await client.get("/stock/transfer", params={"product": "3760001"}, headers=HTMX)
        nothing = await client.get("/stock/adjust", params={"product": "kiwi"}, headers=HTMX)
    assert "<html" not in by_name.text  # the suggestions alone, for htmx to put under the field
    assert _choices(by_name.text) == ["GREEN-APPLE", "RED-APPLE"]
    assert "data-exact" in by_sku.text
    assert "<strong>Pear</strong>" in by_sku.text
    assert "data-exact" in by_barcode.text
    assert "<strong>Red-Apple</strong>" in by_barcode.text
    assert "No product matches “kiwi”" in nothing.text


async def test_without_javascript_one_searches_then_chooses_then_adjusts(
    harness: Harness, shelf: dict[str, int]
) -> None:
    form = {"location": str(shelf["warehouse"]), "delta": "-2", "reason": "Damaged"}
    async with harness.signed_in(Role.STAFF) as client:
        found = await post_form(client, "/stock/adjust", {**form, "product": "red", "action": "find"})
        chosen = await post_form(client, "/stock/adjust", {**form, "product": "red", "choose": "RED-APPLE"})
        assert await _movements(harness) == 3  # finding and choosing move nothing
        done = await post_form(client, "/stock/adjust", {**form, "product": "RED-APPLE"})
    assert found.status_code == 200
    assert _choices(found.text) == ["RED-APPLE"]
    assert 'value="-2"' in found.text  # what was typed stays
    assert chosen.status_code == 200
    assert 'name="product" type="search" value="RED-APPLE"' in chosen.text
    assert "data-exact" in chosen.text
    assert done.status_code == 303
    assert (await level(harness.db, shelf["RED-APPLE"], shelf["warehouse"])).on_hand == 8


async def test_a_name_is_never_taken_for_a_product_even_when_only_one_matches(
    harness: Harness, shelf: dict[str, int]
) -> None:
    form = {"location": str(shelf["warehouse"]), "delta": "-2", "reason": "Damaged", "product": "pea"}
    move = {"product": "gree", "source": form["location"], "quantity": "1"}
    move["target"] = str(await add_location(harness.db, "SHOP"))
    async with harness.signed_in(Role.STAFF) as client:
        adjusted = await post_form(client, "/stock/adjust", form)
        transferred = await post_form(client, "/stock/transfer", move)
    assert adjusted.status_code == transferred.status_code == 400
    assert "Choose the product in the list." in adjusted.text
    assert _choices(adjusted.text) == ["PEAR"]
    assert _choices(transferred.text) == ["GREEN-APPLE"]
    assert await _movements(harness) == 3


async def test_the_product_field_is_a_search_that_a_phone_and_a_scanner_can_use(
    harness: Harness, shelf: dict[str, int]
) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        page = await client.get("/stock/adjust", params={"product": "3760001"})
    field = page.text.split('id="f-product"')[1].split(">")[0]
    for attribute in (
        'type="search"',
        'inputmode="search"',
        'enterkeyhint="search"',
        'hx-get="/stock/adjust"',
    ):
        assert attribute in field
    assert 'data-next="f-delta"' in page.text  # where a scan moves on to
    assert "<strong>Red-Apple</strong>" in page.text
    assert re.search(r'"/static/stock\.[0-9a-f]{12}\.js"', page.text)


async def test_drivers_get_no_suggestions(harness: Harness, shelf: dict[str, int]) -> None:
    async with harness.signed_in(Role.DRIVER) as client:
        response = await client.get("/stock/adjust", params={"product": "apple"}, headers=HTMX)
    assert response.status_code == 403
    assert "Apple" not in response.text
