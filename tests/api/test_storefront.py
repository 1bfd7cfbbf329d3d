"""The public shop as a visitor's phone uses it: browse, add to the cart, change it."""

from __future__ import annotations

import httpx

from backend.auth.rules import Role
from backend.catalog.models import Product
from backend.storefront import cart as carts
from tests.api.conftest import Harness, post_form
from tests.api.stock_fixtures import add_location, add_product, set_columns
from tests.api.stock_helpers import receive_stock


async def _stocked(harness: Harness, sku: str, units: int, *, backorder: bool = False) -> int:
    location = await add_location(harness.db, f"loc-{sku}", default=True)
    product = await add_product(harness.db, sku, backorder=backorder)
    if units:
        await receive_stock(harness.db, product, location, units)
    return product


def _cart_of(client: httpx.AsyncClient, harness: Harness) -> carts.Cart:
    return carts.decode(client.cookies.get(carts.COOKIE_NAME), harness.settings.secret_key)


async def test_a_visitor_without_an_account_sees_the_shop_with_availability(harness: Harness) -> None:
    await _stocked(harness, "tea", 40)
    await _stocked(harness, "jam", 2)
    await _stocked(harness, "oil", 0)
    async with harness.client() as client:
        shop = await client.get("/shop")
    assert shop.status_code == 200
    assert "Tea" in shop.text
    assert "€2.50" in shop.text
    assert 'data-availability="in_stock"' in shop.text
    assert 'data-availability="few_left"' in shop.text
    assert 'data-availability="sold_out"' in shop.text
    assert shop.text.count('form="add-to-cart" name="product_id"') == 2  # nothing to add for the sold-out oil
    assert shop.text.count('name="_csrf_token"') == 1  # one form for every add button


async def test_archived_products_are_not_offered(harness: Harness) -> None:
    product = await _stocked(harness, "old", 5)
    await harness.db.run(set_columns, Product, product, {"active": False})
    async with harness.client() as client:
        shop = await client.get("/shop")
        added = await post_form(client, "/shop/cart", {"product_id": product})
    assert "Old" not in shop.text
    assert added.status_code == 422
    assert "not sold any more" in added.text
    assert _cart_of(client, harness).lines == ()


async def test_adding_to_the_cart_keeps_it_in_a_cookie_and_shows_the_count(harness: Harness) -> None:
    tea = await _stocked(harness, "tea", 40)
    async with harness.client() as client:
        first = await post_form(client, "/shop/cart", {"product_id": tea}, headers={"hx-request": "true"})
        second = await post_form(
            client, "/shop/cart", {"product_id": tea, "quantity": "2"}, headers={"hx-request": "true"}
        )
        cart = await client.get("/shop/cart")
    assert first.status_code == 200
    assert "Cart: 1 item" in first.text
    assert "<html" not in second.text
    assert "Cart: 3 items" in second.text
    assert _cart_of(client, harness).lines == ((tea, 3),)
    assert "€7.50" in cart.text  # 3 × 2.50, priced from the catalog


async def test_the_cart_refuses_more_than_is_in_stock(harness: Harness) -> None:
    jam = await _stocked(harness, "jam", 2)
    async with harness.client() as client:
        await post_form(client, "/shop/cart", {"product_id": jam, "quantity": "2"})
        refused = await post_form(client, "/shop/cart", {"product_id": jam}, headers={"hx-request": "true"})
    assert refused.status_code == 422
    assert "Only 2 left of Jam" in refused.text
    assert _cart_of(client, harness).lines == ((jam, 2),)


async def test_backorderable_products_can_be_ordered_beyond_stock(harness: Harness) -> None:
    bread = await _stocked(harness, "bread", 0, backorder=True)
    async with harness.client() as client:
        added = await post_form(client, "/shop/cart", {"product_id": bread, "quantity": "4"})
    assert added.status_code == 303
    assert _cart_of(client, harness).lines == ((bread, 4),)


async def test_bad_cart_input_is_a_clear_error(harness: Harness) -> None:
    tea = await _stocked(harness, "tea", 40)
    async with harness.client() as client:
        for fields in (
            {"product_id": tea, "quantity": "0"},
            {"product_id": tea, "quantity": "1000000000"},
            {"product_id": tea, "quantity": "-1"},
            {"product_id": "abc"},
            {"product_id": 99999},
            {},
        ):
            response = await post_form(client, "/shop/cart", fields)
            assert response.status_code == 422, fields
            assert 'role="alert"' in response.text
    assert _cart_of(client, harness).lines == ()


async def test_changing_and_removing_cart_lines(harness: Harness) -> None:
    tea = await _stocked(harness, "tea", 40)
    jam = await _stocked(harness, "jam", 10)
    async with harness.client() as client:
        await post_form(client, "/shop/cart", {"product_id": tea})
        await post_form(client, "/shop/cart", {"product_id": jam})
        changed = await post_form(client, f"/shop/cart/{tea}", {"quantity": "5"})
        assert changed.status_code == 303
        assert _cart_of(client, harness).lines == ((tea, 5), (jam, 1))
        too_many = await post_form(client, f"/shop/cart/{jam}", {"quantity": "11"})
        assert too_many.status_code == 422
        assert "Only 10 left" in too_many.text
        await post_form(client, f"/shop/cart/{tea}", {"quantity": "5", "remove": "1"})
        cart = await client.get("/shop/cart")
    assert _cart_of(client, harness).lines == ((jam, 1),)
    assert "Tea" not in cart.text
    assert "Jam" in cart.text


async def test_a_forged_cart_cookie_is_ignored(harness: Harness) -> None:
    await _stocked(harness, "tea", 40)
    async with harness.client() as client:
        client.cookies.set(carts.COOKIE_NAME, "W1sxLDk5XV0.deadbeef", path="/shop")
        cart = await client.get("/shop/cart")
    assert cart.status_code == 200
    assert "Your cart is empty" in cart.text


async def test_an_empty_cart_is_said_in_words_not_offered_as_a_button(harness: Harness) -> None:
    await _stocked(harness, "tea", 4)
    async with harness.client() as client:
        shop = (await client.get("/shop")).text
    bar = shop[shop.index('id="cart-bar"') :][:400]
    assert '<p class="muted" data-units="0">Your cart is empty</p>' in bar
    assert 'href="/shop/cart"' not in bar


async def test_the_shop_search_and_category_filter(harness: Harness) -> None:
    await _stocked(harness, "tea", 4)
    await _stocked(harness, "jam", 4)
    async with harness.client() as client:
        found = await client.get("/shop", params={"q": "jam"}, headers={"hx-request": "true"})
    assert "Jam" in found.text
    assert "Tea" not in found.text
    assert "<html" not in found.text


async def test_customers_find_the_shop_in_their_navigation_and_staff_in_more(harness: Harness) -> None:
    async with harness.signed_in(Role.CUSTOMER) as customer:
        home = await customer.get("/")
    async with harness.signed_in(Role.OWNER) as owner:
        owner_home = await owner.get("/")
        more = await owner.get("/more")
    assert 'href="/shop"' in home.text.split('class="bottom-nav"')[1]
    assert 'href="/shop"' not in owner_home.text.split('class="bottom-nav"')[1]
    assert 'href="/shop"' in more.text
