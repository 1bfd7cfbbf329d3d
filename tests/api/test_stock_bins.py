"""Shelf positions (``bin`` per product and location) on both engines: edited on a product's stock
page (htmx or a plain form, checked against the position shown), in a CSV file (exported with the
stock, imported back all or nothing) and through the API; a pick list follows what was edited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.inventory.models import StockLevel
from backend.kernel.events import Event
from backend.orders import service as orders
from tests.api.conftest import Harness, csrf_token, post_form
from tests.api.order_fixtures import actor_for, build_shop, draft

HTMX = {"HX-Request": "true"}


@pytest.fixture
async def shop(harness: Harness):
    """ENT (the default) and BTQ; APPLE, PEAR, PLUM stocked at ENT."""
    return await build_shop(harness.db)


async def _bins(harness: Harness, product_id: int) -> dict[int, str | None]:
    async with harness.db.read() as session:
        rows = await session.execute(
            select(StockLevel.location_id, StockLevel.bin).where(StockLevel.product_id == product_id)
        )
    return dict(rows.all())


async def _events(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(Event))


async def _save(client, shop, sku: str, bin: str, seen: str = "", **headers: str):
    return await post_form(
        client,
        f"/stock/products/{shop.products[sku]}/bin",
        {"location": str(shop.warehouse), "bin": bin, "seen_bin": seen},
        headers=headers,
    )


async def test_the_stock_page_edits_each_locations_shelf_position(harness: Harness, shop) -> None:
    apple = shop.products["APPLE"]
    async with harness.signed_in(Role.STAFF) as client:
        page = await client.get(f"/stock/products/{apple}")
        assert page.status_code == 200
        assert f'id="bin-{shop.warehouse}"' in page.text
        assert f'id="bin-{shop.boutique}"' in page.text
        assert 'name="seen_bin" value=""' in page.text
        saved = await _save(client, shop, "APPLE", " b-02 ", **HTMX)
        assert saved.status_code == 200, saved.text
        assert saved.text.lstrip().startswith(f'<div class="bin" id="bin-{shop.warehouse}"')  # the form alone
        assert 'value="B-02"' in saved.text
        assert "Shelf position saved." in saved.text
        plain = await _save(client, shop, "APPLE", "B-03", seen="B-02")
        assert plain.status_code == 303
        assert plain.headers["location"] == f"/stock/products/{apple}?saved=bin"
        shown = await client.get(plain.headers["location"])
    assert 'name="seen_bin" value="B-03"' in shown.text
    assert "Shelf position saved." in shown.text
    assert (await _bins(harness, apple))[shop.warehouse] == "B-03"


async def test_a_wrong_or_stale_shelf_position_is_refused_and_changes_nothing(harness: Harness, shop) -> None:
    apple = shop.products["APPLE"]
    async with harness.signed_in(Role.STAFF) as client:
        assert (await _save(client, shop, "APPLE", "A-01")).status_code == 303
        before = await _events(harness)
        too_long = await _save(client, shop, "APPLE", "X" * 40, seen="A-01", **HTMX)
        assert too_long.status_code == 400
        assert "A shelf position is up to 32 letters" in too_long.text
        assert 'aria-invalid="true"' in too_long.text
        assert f'value="{"X" * 40}"' in too_long.text  # shown as typed, beside its message
        odd = await _save(client, shop, "APPLE", "A<1>", seen="A-01")
        assert odd.status_code == 400
        assert "A shelf position is up to 32 letters" in odd.text
        stale = await _save(client, shop, "APPLE", "C-09", seen="", **HTMX)  # someone set A-01 meanwhile
        assert stale.status_code == 409
        assert "Someone changed this shelf position meanwhile." in stale.text
        assert 'name="seen_bin" value="A-01"' in stale.text  # the form now shows what is there
        nowhere = await post_form(
            client, f"/stock/products/{apple}/bin", {"location": "999999", "bin": "A-02", "seen_bin": "A-01"}
        )
        assert nowhere.status_code == 400
        assert "Choose a location from the list." in nowhere.text
        unknown = await post_form(client, "/stock/products/999999/bin", {"location": str(shop.warehouse)})
        assert unknown.status_code == 404
    assert (await _bins(harness, apple))[shop.warehouse] == "A-01"
    assert await _events(harness) == before


async def test_without_the_right_to_adjust_stock_the_position_is_shown_not_editable(
    harness: Harness, shop
) -> None:
    async with harness.signed_in(Role.DRIVER) as client:
        refused = await post_form(
            client,
            f"/stock/products/{shop.products['APPLE']}/bin",
            {"location": str(shop.warehouse), "bin": "A-01", "seen_bin": ""},
        )
        imported = await client.post(
            "/stock/bins",
            files={"file": ("bins.csv", b"sku,bin\nAPPLE,A-01\n")},
            data={"_csrf_token": await csrf_token(client)},
        )
    assert refused.status_code == 403
    assert imported.status_code == 403
    assert (await _bins(harness, shop.products["APPLE"]))[shop.warehouse] is None


async def _batch_page(harness: Harness, client, shop) -> str:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    placed = await orders.place_order(harness.db, owner, draft())  # APPLE × 2, PEAR × 1 at ENT
    accepted = await orders.accept_order(harness.db, owner, placed.id)
    chosen = f"{accepted.id}:{accepted.version}"
    started = await post_form(client, "/fulfilment/batches", {"location": shop.warehouse, "order": [chosen]})
    assert started.status_code == 303, started.text
    return (await client.get(started.headers["location"])).text


async def test_an_edited_shelf_position_changes_the_pick_list_order(harness: Harness, shop) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        assert (await _save(client, shop, "APPLE", "B-01")).status_code == 303
        assert (await _save(client, shop, "PEAR", "C-01")).status_code == 303
        before = await _batch_page(harness, client, shop)
        assert before.index('data-sku="APPLE"') < before.index('data-sku="PEAR"')
        assert (await _save(client, shop, "PEAR", "A-07", seen="C-01")).status_code == 303
        after = await _batch_page(harness, client, shop)
    assert after.index('data-sku="PEAR"') < after.index('data-sku="APPLE"')
    assert "A-07" in after


async def _upload(client, content: bytes):
    return await client.post(
        "/stock/bins",
        files={"file": ("stock.csv", content, "text/csv")},
        data={"_csrf_token": await csrf_token(client)},
    )


async def test_the_stock_file_carries_shelf_positions_out_and_back(harness: Harness, shop) -> None:
    apple, pear = shop.products["APPLE"], shop.products["PEAR"]
    async with harness.signed_in(Role.STAFF) as client:
        assert (await _save(client, shop, "APPLE", "A-01")).status_code == 303
        page = await client.get("/stock/bins")
        assert page.status_code == 200
        assert "Columns: sku, location, bin." in page.text
        exported = await client.get("/stock/bins.csv")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        # The name the button says is the name the file is saved under.
        assert exported.headers["content-disposition"] == 'attachment; filename="bins.csv"'
        assert ">Download bins.csv</a>" in page.text
        lines = exported.text.splitlines()
        assert lines[0] == "sku,location,bin,name,on_hand,reserved,available"
        assert "APPLE,ENT,A-01,Apple,10,0,10" in lines
        edited = exported.text.replace("APPLE,ENT,A-01", "APPLE,ENT,").replace("PEAR,ENT,", "PEAR,ENT,d-4")
        done = await _upload(client, edited.encode())
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/stock/bins?changed=2"
        shown = await client.get(done.headers["location"])
        assert "2 shelf positions changed" in shown.text
        again = await _upload(client, edited.encode())
        assert again.headers["location"] == "/stock/bins?changed=0"  # the same file changes nothing
        blank_location = await _upload(client, b"sku;location;bin\napple;;E-5\npear;btq;F 6\n")
        assert blank_location.status_code == 303, blank_location.text
    assert await _bins(harness, apple) == {shop.warehouse: "E-5", shop.boutique: None}
    assert await _bins(harness, pear) == {shop.warehouse: "D-4", shop.boutique: "F 6"}


async def test_a_stock_file_with_a_bad_line_imports_nothing_and_says_where(harness: Harness, shop) -> None:
    before = await _events(harness)
    content = (
        "sku,location,bin\n"
        "APPLE,ENT,A-01\n"
        "NOPE,ENT,A-02\n"
        "PEAR,MARS,A-03\n"
        f"PLUM,ENT,{'X' * 40}\n"
        "APPLE,ent,A-04\n"
    ).encode()
    async with harness.signed_in(Role.STAFF) as client:
        refused = await _upload(client, content)
        missing = await _upload(client, b"sku,location\nAPPLE,ENT\n")
        latin = await _upload(client, "sku,bin\nPOMME,Étagère\n".encode("latin-1"))
        empty = await _upload(client, b"sku,bin\n")
    assert refused.status_code == 400
    problems = re.findall(r'<tr data-line="(\d+)"><td>\d+</td><td>(\w+)</td>', refused.text)
    assert problems == [("3", "sku"), ("4", "location"), ("5", "bin"), ("6", "location")]
    assert "No product has this SKU." in refused.text
    assert "No location has this code." in refused.text
    assert "This product and location are already on an earlier line." in refused.text
    assert missing.status_code == 400
    assert "these are missing: bin" in missing.text
    assert latin.status_code == 400
    assert "UTF-8" in latin.text
    assert empty.status_code == 400
    assert (await _bins(harness, shop.products["APPLE"]))[shop.warehouse] is None
    assert await _events(harness) == before


async def _api(harness: Harness, role: Role = Role.STAFF):
    client = harness.client()
    client.headers["Authorization"] = f"Bearer {await harness.token(role)}"
    return client


async def test_the_stock_api_shows_and_sets_shelf_positions(harness: Harness, shop) -> None:
    apple = shop.products["APPLE"]
    async with await _api(harness) as api:
        placed = await api.post("/api/v1/stock/bins", json={"sku": "apple", "bin": " a-3 ", "seen_bin": ""})
        assert placed.status_code == 200, placed.text
        assert placed.json() == {"sku": "APPLE", "location": "ENT", "bin": "A-3"}
        elsewhere = await api.post("/api/v1/stock/bins", json={"sku": "APPLE", "location": "BTQ", "bin": "Z"})
        assert elsewhere.json() == {"sku": "APPLE", "location": "BTQ", "bin": "Z"}
        levels = await api.get(f"/api/v1/products/{apple}/stock")
        assert levels.status_code == 200
        assert [(row["location"], row["on_hand"], row["bin"]) for row in levels.json()] == [
            ("ENT", 10, "A-3"),
            ("BTQ", 5, "Z"),
        ]
        before = await _events(harness)
        stale = await api.post("/api/v1/stock/bins", json={"sku": "APPLE", "bin": "B-1", "seen_bin": "A-9"})
        assert stale.status_code == 409
        assert stale.headers["content-type"] == "application/problem+json"
        assert stale.json()["code"] == "bin_changed"
        too_long = await api.post("/api/v1/stock/bins", json={"sku": "APPLE", "bin": "X" * 33})
        assert too_long.status_code == 422
        assert too_long.json()["errors"][0]["key"] == "bin"
        unknown = await api.post("/api/v1/stock/bins", json={"sku": "NOPE", "bin": "A"})
        assert unknown.status_code == 404
        no_place = await api.post("/api/v1/stock/bins", json={"sku": "APPLE", "location": "MARS", "bin": "A"})
        assert no_place.status_code == 404
        extra = await api.post("/api/v1/stock/bins", json={"sku": "APPLE", "bin": "A", "shelf": 1})
        assert extra.status_code == 400
        assert await _events(harness) == before
        cleared = await api.post("/api/v1/stock/bins", json={"sku": "APPLE", "bin": None, "seen_bin": "a-3"})
        assert cleared.json()["bin"] is None
    async with await _api(harness, Role.DRIVER) as driver:
        refused = await driver.post("/api/v1/stock/bins", json={"sku": "APPLE", "bin": "A"})
    assert refused.status_code == 403
    assert (await _bins(harness, apple))[shop.warehouse] is None
