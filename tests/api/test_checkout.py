"""Checkout as a shopper's phone does it, and the tracking page it lands on."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.idempotency.models import IdempotencyKey
from backend.inventory.models import Location
from backend.orders.models import Order, OrderLine
from backend.shop.service import get_profile
from backend.storefront import cart as carts
from tests.api.conftest import Harness, post_form
from tests.api.stock_fixtures import add_location, add_product, set_columns
from tests.api.stock_helpers import receive_stock

DELIVERY = {
    "name": "Ada Shopper",
    "email": "ada@example.test",
    "phone": "+33 6 12 34 56 78",
    "mode": "delivery",
    "line1": "3 rue des Lilas",
    "postal_code": "75011",
    "city": "Paris",
    "country": "fr",
    "payment": "cash_on_delivery",
    "notes": "Ring twice",
}


async def _shop(harness: Harness, units: int = 10) -> tuple[int, int]:
    location = await add_location(harness.db, "main", default=True)
    pickup = {"is_pickup_point": True, "address": "1 place du Marché"}
    await harness.db.run(set_columns, Location, location, pickup)
    tea = await add_product(harness.db, "TEA")
    await receive_stock(harness.db, tea, location, units)
    return tea, location


async def _orders(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(Order))


async def _fill_cart(client: httpx.AsyncClient, product_id: int, quantity: int = 2) -> None:
    added = await post_form(client, "/shop/cart", {"product_id": product_id, "quantity": str(quantity)})
    assert added.status_code == 303


async def _key(client: httpx.AsyncClient) -> str:
    form = await client.get("/shop/checkout")
    assert form.status_code == 200
    return re.search(r'name="_idempotency_key" value="([0-9a-f]+)"', form.text).group(1)


async def test_a_visitor_checks_out_and_lands_on_the_tracking_page(harness: Harness) -> None:
    tea, _ = await _shop(harness)
    async with harness.client() as client:
        await _fill_cart(client, tea, 2)
        placed = await post_form(
            client, "/shop/checkout", {**DELIVERY, "_idempotency_key": await _key(client)}
        )
        assert placed.status_code == 303, re.findall(
            r"(?:field__error|alert)[^>]*>([^<]*(?:<p>[^<]*)?)", placed.text
        )
        assert re.fullmatch(r"/t/[\w-]+\?placed=1", placed.headers["location"])
        assert not client.cookies.get(carts.COOKIE_NAME)  # the cart is emptied
        tracking = await client.get(placed.headers["location"])
    assert tracking.status_code == 200
    assert "Thank you, your order is placed." in tracking.text
    assert 'data-step="order.placed"' in tracking.text
    assert "€5.00" in tracking.text  # 2 × 2.50 from the catalog
    async with harness.db.read() as session:
        order = await session.scalar(select(Order))
        lines = list(await session.scalars(select(OrderLine)))
    assert order.channel == "storefront"
    assert order.total_minor == 500
    assert order.address_country == "FR"
    assert [(line.sku, line.quantity) for line in lines] == [("TEA", 2)]


async def test_prices_and_totals_sent_with_the_form_are_ignored(harness: Harness) -> None:
    tea, _ = await _shop(harness)
    async with harness.client() as client:
        await _fill_cart(client, tea, 1)
        tampered = {**DELIVERY, "price_minor": "1", "total_minor": "1", "unit_price": "0.01"}
        placed = await post_form(client, "/shop/checkout", tampered)
    assert placed.status_code == 303
    async with harness.db.read() as session:
        assert (await session.scalar(select(Order.total_minor))) == 250


async def test_pickup_orders_name_the_pickup_point(harness: Harness) -> None:
    tea, _ = await _shop(harness)
    pickup = {"name": "Bo", "phone": "0612345678", "mode": "pickup", "location": "main", "payment": "cash"}
    async with harness.client() as client:
        await _fill_cart(client, tea)
        placed = await post_form(client, "/shop/checkout", pickup)
        tracking = await client.get(placed.headers["location"])
    assert "Pickup at Main, 1 place du Marché" in tracking.text


async def test_bad_checkout_input_is_shown_on_the_form_and_nothing_is_written(harness: Harness) -> None:
    tea, _ = await _shop(harness)
    async with harness.client() as client:
        await _fill_cart(client, tea)
        for changes, message in (
            ({"name": ""}, "Tell us your name."),
            ({"email": "", "phone": ""}, "Give an e-mail address or a phone number"),
            ({"email": "not-an-address"}, "does not look right"),
            ({"phone": "call me"}, "digits only"),
            ({"line1": "", "city": ""}, "This part of the address is needed."),
            ({"country": "France"}, "two-letter country code"),
            ({"payment": "cash"}, "Choose how you will pay."),  # cash is for pickups
            ({"payment": "card"}, "Choose how you will pay."),
            ({"mode": "teleport"}, "Choose delivery or pickup."),
            (
                {"mode": "pickup", "payment": "cash", "location": "nowhere"},
                "Choose one of the pickup points.",
            ),
        ):
            response = await post_form(client, "/shop/checkout", {**DELIVERY, **changes})
            assert response.status_code == 400, changes
            assert message in response.text, changes
            assert 'aria-invalid="true"' in response.text
        assert client.cookies.get(carts.COOKIE_NAME)  # the cart is still there
    assert await _orders(harness) == 0


async def test_an_empty_cart_cannot_check_out(harness: Harness) -> None:
    await _shop(harness)
    async with harness.client() as client:
        page = await client.get("/shop/checkout")
        placed = await post_form(client, "/shop/checkout", DELIVERY)
    assert page.status_code == 303
    assert page.headers["location"] == "/shop/cart"
    assert placed.status_code == 303
    assert await _orders(harness) == 0


async def test_stock_sold_meanwhile_is_named_and_nothing_is_written(harness: Harness) -> None:
    tea, location = await _shop(harness, units=3)
    async with harness.client() as client:
        await _fill_cart(client, tea, 3)
        async with harness.signed_in(Role.STAFF) as staff:
            sold = await post_form(
                staff,
                "/stock/adjust",
                {"product": "TEA", "location": str(location), "delta": "-2", "reason": "damaged"},
            )
            assert sold.status_code == 303, sold.text
        refused = await post_form(client, "/shop/checkout", DELIVERY)
    assert refused.status_code == 409
    assert "Only 1 left of TEA" in refused.text
    assert await _orders(harness) == 0


async def test_a_double_tapped_place_button_makes_one_order(harness: Harness) -> None:
    tea, _ = await _shop(harness)
    async with harness.client() as client:
        await _fill_cart(client, tea)
        fields = {**DELIVERY, "_idempotency_key": await _key(client)}
        cart_cookie = client.cookies.get(carts.COOKIE_NAME)
        first = await post_form(client, "/shop/checkout", fields)
        client.cookies.set(carts.COOKIE_NAME, cart_cookie, path="/shop")  # the second tap still had it
        second = await post_form(client, "/shop/checkout", fields)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert second.headers["idempotent-replayed"] == "true"
    assert await _orders(harness) == 1
    token = first.headers["location"].removeprefix("/t/").split("?")[0]
    async with harness.db.read() as session:
        stored = await session.scalar(select(IdempotencyKey))
    assert fields["_idempotency_key"] not in stored.key
    assert token.encode() not in stored.body  # the tracking link is not kept readable


async def test_signed_in_customers_find_their_details_filled_in(harness: Harness) -> None:
    tea, _ = await _shop(harness)
    async with harness.signed_in(Role.CUSTOMER) as client:
        await _fill_cart(client, tea)
        form = await client.get("/shop/checkout")
    assert 'value="Cleo Customer"' in form.text
    assert 'value="customer@shop.test"' in form.text


async def test_an_unknown_tracking_link_is_not_found(harness: Harness) -> None:
    async with harness.client() as client:
        response = await client.get("/t/not-a-real-token", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "No order has this tracking link." in response.text


async def _shop_zone(harness: Harness) -> ZoneInfo:
    """The zone the shop's forms read a slot's day and times in."""
    async with harness.db.read() as session:
        return ZoneInfo((await get_profile(session)).timezone)


def _slot_day(zone: ZoneInfo, days: int = 2) -> str:
    return (datetime.now(zone).date() + timedelta(days=days)).isoformat()


async def test_a_delivery_carries_the_slot_the_shopper_chose(harness: Harness) -> None:
    tea, _ = await _shop(harness)
    zone = await _shop_zone(harness)
    day = _slot_day(zone)
    async with harness.client() as client:
        await _fill_cart(client, tea)
        form = await client.get("/shop/checkout")
        assert 'name="slot_date" type="date"' in form.text
        assert f'min="{datetime.now(zone).date().isoformat()}"' in form.text
        slot = {"slot_date": day, "slot_from": "14:00", "slot_to": "16:30"}
        placed = await post_form(client, "/shop/checkout", {**DELIVERY, **slot})
        assert placed.status_code == 303, placed.text
    async with harness.db.read() as session:
        order = await session.scalar(select(Order))
    start, end = order.delivery_slot_start.astimezone(zone), order.delivery_slot_end.astimezone(zone)
    assert (start.date().isoformat(), start.strftime("%H:%M"), end.strftime("%H:%M")) == (
        day,
        "14:00",
        "16:30",
    )


async def test_no_slot_or_a_pickup_leaves_the_order_without_one(harness: Harness) -> None:
    tea, _ = await _shop(harness)
    zone = await _shop_zone(harness)
    async with harness.client() as client:
        await _fill_cart(client, tea)
        assert (await post_form(client, "/shop/checkout", DELIVERY)).status_code == 303
        await _fill_cart(client, tea)
        typed = {
            "slot_date": _slot_day(zone),
            "slot_from": "14:00",
            "slot_to": "10:00",
        }  # hidden for a pickup
        pickup = {**DELIVERY, "mode": "pickup", "payment": "cash", "location": "main", **typed}
        assert (await post_form(client, "/shop/checkout", pickup)).status_code == 303
    async with harness.db.read() as session:
        slots = list(await session.execute(select(Order.delivery_slot_start, Order.delivery_slot_end)))
    assert [tuple(row) for row in slots] == [(None, None), (None, None)]


async def test_a_bad_slot_is_shown_on_the_form_and_nothing_is_written(harness: Harness) -> None:
    tea, _ = await _shop(harness)
    zone = await _shop_zone(harness)
    day = _slot_day(zone)
    yesterday = _slot_day(zone, -1)
    async with harness.client() as client:
        await _fill_cart(client, tea)
        for slot, message in (
            ({"slot_date": day, "slot_from": "16:00", "slot_to": "14:00"}, "ends after it starts"),
            ({"slot_date": day, "slot_from": "14:00", "slot_to": "14:00"}, "ends after it starts"),
            ({"slot_date": yesterday, "slot_from": "08:00", "slot_to": "10:00"}, "already over"),
            ({"slot_date": _slot_day(zone, 45), "slot_from": "08:00", "slot_to": "10:00"}, "next 30 days"),
            ({"slot_date": day, "slot_from": "14:00"}, "the times it starts and ends"),
            ({"slot_date": "14/12/2026", "slot_from": "08:00", "slot_to": "10:00"}, "YYYY-MM-DD"),
            ({"slot_date": day, "slot_from": "8h", "slot_to": "10:00"}, "HH:MM"),
            ({"slot_date": day, "slot_from": "06:00", "slot_to": "19:00"}, "at most 12 hours"),
        ):
            response = await post_form(client, "/shop/checkout", {**DELIVERY, **slot})
            assert response.status_code == 400, slot
            assert message in response.text, slot
            assert 'id="f-slot-error"' in response.text, slot
            assert f'value="{slot["slot_date"]}"' in response.text  # what was typed stays
    assert await _orders(harness) == 0


async def test_a_fresh_checkout_form_is_blank_and_flags_no_field(harness: Harness) -> None:
    """Fields read as items (``form[name]``, ``errors.fields[name]``): one not filled in shows
    nothing, and one without a problem is not marked."""
    tea, _ = await _shop(harness)
    async with harness.client() as client:
        await _fill_cart(client, tea)
        page = await client.get("/shop/checkout")
    assert page.status_code == 200
    assert 'name="line1" type="text" value=""' in page.text
    assert "None" not in page.text
    assert 'aria-invalid="true"' not in page.text
    assert "field--invalid" not in page.text
