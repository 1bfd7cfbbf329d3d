"""The shop's pages come from memory, yet show every price, stock and catalog change at once; and
they show each product's photo, small, in lists and on its own page."""

from __future__ import annotations

import io
import re

from PIL import Image

from backend.auth.rules import Role
from backend.catalog import photos
from backend.catalog.models import Product
from backend.kernel.events import Event
from backend.storefront.offer_cache import STOCK
from tests.api.conftest import Harness, post_form
from tests.api.stock_fixtures import add_location, add_product, set_columns
from tests.api.stock_helpers import receive_stock


async def _product(harness: Harness, sku: str, units: int) -> tuple[int, int]:
    location = await add_location(harness.db, f"loc-{sku}", default=True)
    product = await add_product(harness.db, sku.upper())
    if units:
        await receive_stock(harness.db, product, location, units)
    return product, location


DELIVERY = {
    "name": "Ada",
    "email": "ada@example.com",
    "mode": "delivery",
    "payment": "cash_on_delivery",
    "line1": "1 rue A",
    "postal_code": "75011",
    "city": "Paris",
    "country": "FR",
}


def _card(page: str, product: int) -> str:
    return page.split(f'id="offer-{product}"', 1)[1].split("</li>", 1)[0]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


async def test_a_price_written_without_an_event_still_shows_on_the_next_shop_page(harness: Harness) -> None:
    tea, _ = await _product(harness, "tea", 40)
    async with harness.client() as client:
        before = await client.get("/shop")
        await harness.db.run(set_columns, Product, tea, {"price_minor": 990})
        after = await client.get("/shop")
    assert "€2.50" in _card(before.text, tea)
    assert "€9.90" in _card(after.text, tea)


async def test_a_price_changed_through_the_product_form_shows_in_the_shop_and_the_cart(
    harness: Harness,
) -> None:
    tea, _ = await _product(harness, "tea", 40)
    async with harness.client() as shopper:
        await post_form(shopper, "/shop/cart", {"product_id": tea})
        assert "€2.50" in (await shopper.get("/shop/cart")).text
        async with harness.signed_in(Role.OWNER) as owner:
            form = {"sku": "TEA", "name": "Tea", "price": "3,10", "currency": "EUR", "tax_rate": "5.5"}
            saved = await post_form(owner, f"/catalog/{tea}", {**form, "active": "on", "version": "1"})
        assert saved.status_code == 303
        assert "€3.10" in _card((await shopper.get("/shop")).text, tea)
        assert "€3.10" in (await shopper.get("/shop/cart")).text
        assert "€3.10" in (await shopper.get("/shop/checkout")).text


async def test_stock_sold_and_received_shows_on_the_next_shop_page(harness: Harness) -> None:
    jam, location = await _product(harness, "jam", 1)
    async with harness.client() as client:
        assert 'data-availability="few_left"' in (await client.get("/shop")).text
        await post_form(client, "/shop/cart", {"product_id": jam})
        placed = await post_form(client, "/shop/checkout", {**DELIVERY, "_idempotency_key": "k-1"})
        assert placed.status_code == 303, placed.text
        sold_out = await client.get("/shop")
        await receive_stock(harness.db, jam, location, 20)
        restocked = await client.get("/shop")
    assert 'data-availability="sold_out"' in _card(sold_out.text, jam)
    assert 'data-availability="in_stock"' in _card(restocked.text, jam)


async def test_a_product_archived_without_an_event_leaves_the_shop_at_once(harness: Harness) -> None:
    tea, _ = await _product(harness, "tea", 5)
    async with harness.client() as client:
        assert f'id="offer-{tea}"' in (await client.get("/shop")).text
        await harness.db.run(set_columns, Product, tea, {"active": False})
        assert f'id="offer-{tea}"' not in (await client.get("/shop")).text
        refused = await post_form(client, "/shop/cart", {"product_id": tea}, headers={"hx-request": "true"})
    assert refused.status_code == 422


async def test_stock_changed_by_another_process_is_forgotten_when_its_event_arrives(harness: Harness) -> None:
    tea, location = await _product(harness, "tea", 3)
    cache = harness.app.state.offer
    async with harness.client() as client:
        assert 'data-availability="few_left"' in (await client.get("/shop")).text
        # Another process's write: nothing of it reaches this one but the event its tailer reads.
        await receive_stock(harness.db, tea, location, 50)
        cache._parts[STOCK].entries[tea] = 3  # as this process still remembered it
        assert 'data-availability="few_left"' in (await client.get("/shop")).text
        cache.on_event(
            Event(type="stock.changed", subject=f"stock:{tea}", data={"available": {str(tea): 53}})
        )
        assert 'data-availability="in_stock"' in (await client.get("/shop")).text


async def test_an_order_leaves_its_products_new_stock_remembered_instead_of_forgotten(
    harness: Harness,
) -> None:
    tea, _ = await _product(harness, "tea", 10)
    cache = harness.app.state.offer
    async with harness.client() as client:
        await client.get("/shop")
        await post_form(client, "/shop/cart", {"product_id": tea, "quantity": "3"})
        placed = await post_form(client, "/shop/checkout", {**DELIVERY, "_idempotency_key": "k-2"})
        assert placed.status_code == 303, placed.text
        # Taken from the commit that placed the order: the next page does not read it again.
        assert cache._parts[STOCK].entries[tea] == 7
        assert 'data-availability="in_stock"' in _card((await client.get("/shop")).text, tea)


async def test_a_stock_event_arriving_late_does_not_undo_a_newer_figure(harness: Harness) -> None:
    tea, location = await _product(harness, "tea", 3)
    cache = harness.app.state.offer
    async with harness.client() as client:
        await receive_stock(harness.db, tea, location, 50)
        newer = Event(id=10, type="stock.changed", subject=f"stock:{tea}", data={"available": {str(tea): 53}})
        older = Event(id=9, type="stock.changed", subject=f"stock:{tea}", data={"available": {str(tea): 3}})
        cache.on_event(newer)
        cache.on_event(older)  # read after the newer one, as an event of another process may be
        assert 'data-availability="in_stock"' in _card((await client.get("/shop")).text, tea)


async def test_cards_show_the_small_photo_or_a_neutral_tile_and_the_product_page_the_photo(
    harness: Harness,
) -> None:
    tea, _ = await _product(harness, "tea", 5)
    jam, _ = await _product(harness, "jam", 5)
    await photos.store_photo(harness.db, None, tea, _png())
    async with harness.client() as client:
        shop = (await client.get("/shop")).text
        product = (await client.get(f"/shop/products/{tea}")).text
        bare = (await client.get(f"/shop/products/{jam}")).text
        missing = await client.get("/shop/products/999999")
    card = _card(shop, tea)
    img = re.search(r"<img [^>]*>", card)[0]
    assert f'src="/media/products/{tea}/small?v=2"' in img
    for attribute in ('alt="Tea"', 'width="64"', 'height="64"', 'loading="lazy"'):
        assert attribute in img
    assert "<img" not in _card(shop, jam)
    assert "product-thumb--none" in _card(shop, jam)
    photo = re.search(r'<img [^>]*class="product-page__photo"[^>]*>', product)[0]
    for attribute in (f'src="/media/products/{tea}?v=2"', 'alt="Tea"', 'width="800"', 'height="800"'):
        assert attribute in photo
    assert "<img" not in bare.split("<main", 1)[1]
    assert "product-thumb--none" in bare
    assert missing.status_code == 404


async def test_the_small_photo_is_a_small_square_cached_for_good(harness: Harness) -> None:
    tea, _ = await _product(harness, "tea", 5)
    jam, _ = await _product(harness, "jam", 5)
    await photos.store_photo(harness.db, None, tea, _png())
    async with harness.client() as client:
        small = await client.get(f"/media/products/{tea}/small?v=2")
        again = await client.get(
            f"/media/products/{tea}/small", headers={"if-none-match": small.headers["etag"]}
        )
        none = await client.get(f"/media/products/{jam}/small")
    assert small.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(small.content)).size == (photos.SMALL_SIDE, photos.SMALL_SIDE)
    assert "immutable" in small.headers["cache-control"]
    assert again.status_code == 304
    assert again.content == b""
    assert none.status_code == 404
