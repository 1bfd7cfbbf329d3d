"""Every order can be tracked: the team makes a phone order's link and hands it on (copy, share
sheet, QR), the same link every time, working beside the checkout's. Customers with an account
order again in one tap, at today's prices, told what could not be had; their checkout is filled
in with their phone and saved addresses."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.auth.rules import Role
from backend.catalog.models import Product
from backend.orders.models import Order
from tests.api import tracking_fixtures as stages
from tests.api.conftest import Harness, post_form
from tests.api.order_fixtures import LYON, Shop, build_shop


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    return await build_shop(harness.db)


def shared_link(html: str) -> str:
    found = re.search(r'<textarea id="share-link"[^>]*>([^<]+)</textarea>', html)
    assert found is not None
    return found.group(1)


async def test_staff_make_a_phone_orders_link_once_and_it_tracks_that_order(
    harness: Harness, shop: Shop
) -> None:
    order = await stages.placed(harness)  # a phone order: its checkout link was never shown
    async with harness.signed_in(Role.STAFF) as staff:
        order_page = await staff.get(f"/orders/{order.id}")
        before = await staff.get(f"/orders/{order.id}/share")
        made = await post_form(staff, f"/orders/{order.id}/share", {})
        after = await staff.get(f"/orders/{order.id}/share")
        again = await post_form(staff, f"/orders/{order.id}/share", {})
        later = await staff.get(f"/orders/{order.id}/share")
    assert f'href="/orders/{order.id}/share"' in order_page.text
    assert 'id="share-link"' not in before.text
    assert "Make the tracking link" in before.text
    assert made.status_code == again.status_code == 303
    link = shared_link(after.text)
    assert link == shared_link(later.text)  # made once: the same link every time
    assert 'id="share-qr" src="data:image/svg+xml' in after.text
    assert "data-share=" in after.text
    assert "data-copy=" in after.text
    token = link.rsplit("/t/", 1)[1]
    assert len(token) >= 43
    async with harness.db.read() as session:
        stored = (await session.execute(select(Order.share_salt, Order.share_token_hash))).one()
    assert token not in stored
    async with harness.client() as client:
        shared = await client.get(f"/t/{token}")
        checkout = await client.get(f"/t/{order.tracking_token}")
    assert shared.status_code == checkout.status_code == 200
    assert order.number in shared.text
    assert order.number in checkout.text


async def test_customers_and_drivers_cannot_make_or_read_a_link(harness: Harness, shop: Shop) -> None:
    order = await stages.placed(harness)
    for role in (Role.CUSTOMER, Role.DRIVER):
        async with harness.signed_in(role) as person:
            assert (await person.get(f"/orders/{order.id}/share")).status_code == 403
            assert (await post_form(person, f"/orders/{order.id}/share", {})).status_code == 403
    async with harness.signed_in(Role.STAFF) as staff:
        assert (await staff.get("/orders/999999/share")).status_code == 404
        assert (await post_form(staff, "/orders/999999/share", {})).status_code == 404


def _deactivated(tx, product_id: int) -> None:
    tx.session.get(Product, product_id).active = False


def _repriced(tx, product_id: int, price: int) -> None:
    tx.session.get(Product, product_id).price_minor = price


async def test_order_again_puts_the_lines_in_the_cart_at_todays_prices_and_says_what_is_missing(
    harness: Harness, shop: Shop
) -> None:
    from backend.orders import service as orders
    from backend.orders.drafts import WantedLine
    from tests.api.order_fixtures import actor_for, draft

    customer = actor_for(Role.CUSTOMER, harness.users[Role.CUSTOMER].id)
    lines = [WantedLine("APPLE", 2), WantedLine("PEAR", 1), WantedLine("PLUM", 3)]
    mine = await orders.place_order(harness.db, customer, draft(channel="storefront", lines=lines))
    other = await stages.placed(harness)
    await harness.db.run(_deactivated, shop.products["PEAR"])
    await harness.db.run(_repriced, shop.products["APPLE"], 275)
    await orders.place_order(harness.db, stages.staff(harness), draft(lines=[WantedLine("PLUM", 2)]))
    async with harness.signed_in(Role.CUSTOMER) as client:
        home = await client.get("/")
        again = await post_form(client, f"/my/orders/{mine.id}/reorder", {})
        cart = await client.get("/shop/cart")
        theirs = await post_form(client, f"/my/orders/{other.id}/reorder", {})
    assert f'action="/my/orders/{mine.id}/reorder"' in home.text
    assert again.status_code == 200
    assert "Pear is not available any more." in again.text
    assert "Plum: only 1 could be added." in again.text  # 3 ordered, 6 on hand, 5 held by others
    assert 'id="cart-line-' + str(shop.products["APPLE"]) + '"' in cart.text
    assert "€5.50" in cart.text or "5,50" in cart.text  # 2 × 2.75: today's price
    assert 'id="cart-line-' + str(shop.products["PEAR"]) + '"' not in cart.text
    assert theirs.status_code == 404


async def test_the_checkout_is_filled_with_the_customers_phone_and_saved_addresses(
    harness: Harness, shop: Shop
) -> None:
    from tests.api.order_fixtures import PARIS

    await stages.placed(harness, own=True, address=LYON)
    await stages.placed(harness, own=True, address=PARIS)
    async with harness.signed_in(Role.CUSTOMER) as client:
        await post_form(client, "/shop/cart", {"product_id": str(shop.products["APPLE"]), "quantity": "1"})
        page = await client.get("/shop/checkout")
        other = re.search(r'href="/shop/checkout\?address=(\d+)"', page.text)
        assert other is not None
        picked = await client.get(f"/shop/checkout?address={other.group(1)}")
    assert 'value="+33612345678"' in page.text
    assert 'value="1 rue de Rivoli"' in page.text  # the last used first
    assert 'value="2 place Bellecour"' in picked.text
    async with harness.client() as anonymous:
        await post_form(anonymous, "/shop/cart", {"product_id": str(shop.products["APPLE"]), "quantity": "1"})
        blank = await anonymous.get("/shop/checkout")
    assert "+33612345678" not in blank.text
    assert "Rivoli" not in blank.text
