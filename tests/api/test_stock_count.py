"""Cycle counts: count, review the differences, confirm; a count the stock moved under is refused
with the products to count again, and nothing of it is applied."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.auth.rules import Role
from backend.inventory import service
from backend.inventory.commands import reserve_stock
from backend.inventory.models import StockMovement
from backend.inventory.rules import Line, MovementKind
from backend.purchasing.reorder import draft_reorder
from tests.api.conftest import Harness, post_form
from tests.api.stock_fixtures import add_location, add_product, level
from tests.api.stock_helpers import change_stock, event_types, ledger_mismatches, receive_stock


@pytest.fixture
async def shelf(harness: Harness) -> dict[str, int]:
    """At the warehouse: 10 apples, 4 pears. A plum exists but was never stocked there."""
    warehouse = await add_location(harness.db, "WH", default=True)
    apple, pear, plum = [await add_product(harness.db, sku) for sku in ("APPLE", "PEAR", "PLUM")]
    await receive_stock(harness.db, apple, warehouse, 10)
    await receive_stock(harness.db, pear, warehouse, 4)
    return {"warehouse": warehouse, "apple": apple, "pear": pear, "plum": plum}


def _sheet_fields(html: str) -> dict[str, str]:
    """The hidden rows of a count sheet as the browser would send them back."""
    fields = dict(re.findall(r'name="(expected_\d+)" value="(\d+)"', html))
    fields["product"] = re.findall(r'name="product" value="(\d+)"', html)
    fields["location"] = re.search(r'name="location" value="(\d+)"', html).group(1)
    return fields


async def _count_corrections(harness: Harness) -> list[tuple[int, int]]:
    async with harness.db.read() as session:
        rows = await session.execute(
            select(StockMovement.product_id, StockMovement.quantity).where(
                StockMovement.kind == MovementKind.COUNT_CORRECTION.value
            )
        )
        return sorted((product, quantity) for product, quantity in rows)


async def test_a_count_shows_what_is_expected_then_the_differences_then_applies_them(
    harness: Harness, shelf: dict[str, int]
) -> None:
    apple, pear = shelf["apple"], shelf["pear"]
    async with harness.signed_in(Role.STAFF) as client:
        choose = await client.get("/stock/count")
        sheet = await client.get(f"/stock/count?location={shelf['warehouse']}")
        fields = _sheet_fields(sheet.text)
        counted = {**fields, f"counted_{apple}": "8", f"counted_{pear}": "4"}
        review = await post_form(client, "/stock/count/review", counted)
        confirm = await post_form(client, "/stock/count/confirm", counted)
        overview = await client.get(confirm.headers["location"])
    assert choose.status_code == 200
    assert f"/stock/count?location={shelf['warehouse']}" in choose.text
    assert fields[f"expected_{apple}"] == "10"
    assert fields[f"expected_{pear}"] == "4"
    assert review.status_code == 200
    assert "difference -2" in review.text
    assert "as recorded" in review.text
    assert "Confirm count" in review.text
    assert confirm.status_code == 303
    assert "Count applied: 1 correction." in overview.text
    assert (await level(harness.db, apple, shelf["warehouse"])).on_hand == 8
    assert (await level(harness.db, pear, shelf["warehouse"])).on_hand == 4
    assert await _count_corrections(harness) == [(apple, -2)]
    assert (await event_types(harness.db))[-2:] == ["stock.counted", "stock.changed"]
    assert await ledger_mismatches(harness.db) == []


async def test_a_product_not_on_the_sheet_can_be_counted_too(harness: Harness, shelf: dict[str, int]) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        sheet = await client.get(f"/stock/count?location={shelf['warehouse']}")
        fields = {**_sheet_fields(sheet.text), "extra_product": "plum", "extra_counted": "3"}
        review = await post_form(client, "/stock/count/review", fields)
        confirm = await post_form(
            client, "/stock/count/confirm", _sheet_fields(review.text) | {f"counted_{shelf['plum']}": "3"}
        )
    assert "PLUM" in review.text
    assert "difference +3" in review.text
    assert confirm.status_code == 303
    assert (await level(harness.db, shelf["plum"], shelf["warehouse"])).on_hand == 3
    assert await ledger_mismatches(harness.db) == []


async def test_a_count_the_stock_moved_under_is_a_409_naming_what_to_count_again(
    harness: Harness, shelf: dict[str, int]
) -> None:
    apple, pear = shelf["apple"], shelf["pear"]
    async with harness.signed_in(Role.STAFF) as client:
        sheet = await client.get(f"/stock/count?location={shelf['warehouse']}")
        counted = {**_sheet_fields(sheet.text), f"counted_{apple}": "7", f"counted_{pear}": "5"}
        # a sale while the counter walks the aisles
        change = service.Change(apple, shelf["warehouse"], -1, MovementKind.SALE, reference="order:3")
        await harness.db.run(change_stock, [change])
        stale = await post_form(client, "/stock/count/confirm", counted)
    assert stale.status_code == 409
    assert "moved while you counted" in stale.text
    stale_rows = re.findall(r'data-product="(\w+)" data-stale', stale.text)
    assert stale_rows == ["APPLE"]
    assert f'name="expected_{apple}" value="9"' in stale.text  # the new figure to count against
    assert f'name="counted_{pear}" type="number"' in stale.text
    assert (await level(harness.db, pear, shelf["warehouse"])).on_hand == 4  # nothing applied
    assert await _count_corrections(harness) == []
    assert "stock.counted" not in await event_types(harness.db)
    assert await ledger_mismatches(harness.db) == []


async def test_counting_fewer_than_are_reserved_is_refused_at_review(
    harness: Harness, shelf: dict[str, int]
) -> None:
    await reserve_stock(
        harness.db, "order:1", [Line(shelf["apple"], 6)], shelf["warehouse"], on_low=draft_reorder
    )
    async with harness.signed_in(Role.STAFF) as client:
        sheet = await client.get(f"/stock/count?location={shelf['warehouse']}")
        counted = {**_sheet_fields(sheet.text), f"counted_{shelf['apple']}": "5"}
        review = await post_form(client, "/stock/count/review", counted)
        confirm = await post_form(client, "/stock/count/confirm", counted)
    assert review.status_code == confirm.status_code == 400
    assert "6 are reserved here" in review.text
    assert (await level(harness.db, shelf["apple"], shelf["warehouse"])).on_hand == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"counted": "-1"}, "Enter zero or more."),
        ({"counted": "many"}, "Enter a whole number."),
        ({"counted": ""}, "Enter at least one counted quantity."),
        ({"expected": "ten"}, "The form is out of date."),
        ({"extra_product": "NOPE"}, "No product has this SKU or barcode."),
    ],
)
async def test_a_wrong_count_sheet_comes_back_with_its_message(
    harness: Harness, shelf: dict[str, int], change: dict[str, str], message: str
) -> None:
    apple = shelf["apple"]
    async with harness.signed_in(Role.STAFF) as client:
        sheet = await client.get(f"/stock/count?location={shelf['warehouse']}")
        fields = {**_sheet_fields(sheet.text), f"counted_{apple}": change.get("counted", "9")}
        if "expected" in change:
            fields[f"expected_{apple}"] = change["expected"]
        if "extra_product" in change:
            fields |= {"extra_product": change["extra_product"], "extra_counted": "1"}
        response = await post_form(client, "/stock/count/confirm", fields)
    assert response.status_code == 400
    assert message in response.text
    assert await _count_corrections(harness) == []


async def test_a_count_needs_a_known_location(harness: Harness, shelf: dict[str, int]) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        response = await post_form(client, "/stock/count/review", {"location": "999", "product": "1"})
        unknown = await client.get("/stock/count?location=999")
    assert response.status_code == 400
    assert unknown.status_code == 200
    assert "Choose the location you are counting." in unknown.text


@pytest.mark.parametrize("role", [Role.DRIVER, Role.CUSTOMER])
async def test_only_people_who_adjust_stock_may_count_it(
    harness: Harness, shelf: dict[str, int], role: Role
) -> None:
    async with harness.signed_in(role) as client:
        sheet = await client.get(f"/stock/count?location={shelf['warehouse']}")
        confirm = await post_form(
            client,
            "/stock/count/confirm",
            {"location": shelf["warehouse"], "product": shelf["apple"], f"expected_{shelf['apple']}": "10"},
        )
    assert sheet.status_code == confirm.status_code == 403
