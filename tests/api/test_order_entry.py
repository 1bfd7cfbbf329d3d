"""Staff order entry on the phone: scan or search products, find the customer, place."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.customers.models import Customer
from backend.inventory.models import Location
from backend.orders.drafts import CustomerDetails, OrderDraft, WantedLine
from backend.orders.models import Order, OrderLine
from backend.orders.rules import Actor
from backend.orders.service import place_order
from backend.shop.service import get_profile
from tests.api.conftest import Harness, post_form
from tests.api.html_attributes import attributes
from tests.api.stock_fixtures import add_location, add_product, set_columns
from tests.api.stock_helpers import receive_stock

COUNTER = {"mode": "pickup", "location": "main", "payment": "cash", "priority": "normal"}


async def _shop(harness: Harness) -> None:
    location = await add_location(harness.db, "main", default=True)
    await harness.db.run(set_columns, Location, location, {"is_pickup_point": True})  # the counter
    for sku, units in (("TEA", 20), ("TEAPOT", 5), ("JAM", 1)):
        product = await add_product(harness.db, sku)
        await receive_stock(harness.db, product, location, units)


async def _count(harness: Harness, table: type) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def _act(client: httpx.AsyncClient, action: str, fields: dict[str, object]) -> httpx.Response:
    return await post_form(client, "/orders/new", {**fields, "action": action})


async def test_the_search_boxes_say_what_to_type_and_bring_up_a_search_keyboard(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        page = (await client.get("/orders/new")).text
    assert attributes(page, "f-find")["placeholder"] == "Name, e-mail or phone"
    product = attributes(page, "f-term")
    assert product["placeholder"] == "SKU, barcode or name"
    assert product["inputmode"] == "search"
    assert attributes(page, "f-country") | {"id": None} == {
        "id": None,
        "name": "country",
        "type": "text",
        "value": "",
        "maxlength": "2",
        "placeholder": "FR",
    }


async def test_staff_take_a_phone_order_for_a_known_customer(harness: Harness) -> None:
    await _shop(harness)
    known = OrderDraft(
        CustomerDetails("Ada Lovelace", "ada@example.test"),
        [WantedLine("TEA", 1)],
        "pickup",
        "cash",
        "storefront",
    )
    await place_order(harness.db, Actor(None), known)
    async with harness.signed_in(Role.STAFF) as client:
        assert (await client.get("/orders/new")).status_code == 200
        found = await _act(client, "find", {"find": "lovelace"})
        assert "Ada Lovelace" in found.text
        customer_id = await _customer_id(harness)
        picked = await _act(client, f"pick:{customer_id}", {"find": "lovelace"})
        assert 'value="ada@example.test"' in picked.text
        scanned = await _act(
            client, "enter", {"term": "tea", "name": "Ada Lovelace", "email": "ada@example.test"}
        )
        assert 'data-sku="TEA"' in scanned.text  # an exact SKU is added at once
        fields = {
            "name": "Ada Lovelace",
            "email": "ada@example.test",
            "sku": "TEA",
            "quantity": "3",
            **COUNTER,
        }
        placed = await _act(client, "place", fields)
    assert placed.status_code == 303
    assert placed.headers["location"].startswith("/orders/")
    async with harness.db.read() as session:
        order = await session.scalar(select(Order).order_by(Order.id.desc()).limit(1))
        line = await session.scalar(select(OrderLine).where(OrderLine.order_id == order.id))
    assert order.channel == "staff"
    assert (line.sku, line.quantity) == ("TEA", 3)
    assert await _count(harness, Customer) == 1  # matched, not created twice


async def _customer_id(harness: Harness) -> int:
    async with harness.db.read() as session:
        return await session.scalar(select(Customer.id))


async def test_a_search_with_several_matches_offers_choices(harness: Harness) -> None:
    await _shop(harness)
    async with harness.signed_in(Role.STAFF) as client:
        offered = await _act(client, "add", {"term": "te"})  # by name: Tea and Teapot
        chosen = await _act(client, "add:TEAPOT", {"sku": "TEA", "quantity": "2"})
        removed = await _act(client, "remove:TEA", {"sku": ["TEA", "TEAPOT"], "quantity": ["2", "1"]})
        nothing = await _act(client, "add", {"term": "caviar"})
    assert 'value="add:TEAPOT"' in offered.text
    assert 'data-sku="TEA"' in chosen.text
    assert 'data-sku="TEAPOT"' in chosen.text
    assert 'data-sku="TEA"' not in removed.text
    assert 'data-sku="TEAPOT"' in removed.text
    assert nothing.status_code == 400
    assert "No product for sale matches" in nothing.text


async def test_bad_entries_are_explained_and_nothing_is_written(harness: Harness) -> None:
    await _shop(harness)
    customer = {"name": "Bo", "phone": "0612345678"}
    async with harness.signed_in(Role.STAFF) as client:
        for fields, status, message in (
            ({**customer, **COUNTER}, 400, "The order has no lines."),
            ({**customer, **COUNTER, "sku": "TEA", "quantity": "abc"}, 400, "A quantity is a whole number."),
            ({**customer, **COUNTER, "sku": "TEA", "quantity": "1000000000"}, 400, "at most 10,000 units"),
            ({**customer, **COUNTER, "sku": "JAM", "quantity": "2"}, 409, "Only 1 left of JAM."),
            (
                {**customer, **COUNTER, "sku": "TEA", "quantity": "1", "location": "nowhere"},
                400,
                "No location",
            ),
            ({**COUNTER, "sku": "TEA", "quantity": "1"}, 400, "name"),
            ({**customer, **COUNTER, "mode": "delivery", "sku": "TEA", "quantity": "1"}, 400, "address"),
        ):
            answer = await _act(client, "place", fields)
            assert answer.status_code == status, fields
            assert message in answer.text, fields
    assert await _count(harness, Order) == 0


async def test_only_people_who_take_orders_get_the_entry_page(harness: Harness) -> None:
    for role in (Role.DRIVER, Role.CUSTOMER):
        async with harness.signed_in(role) as client:
            assert (await client.get("/orders/new")).status_code == 403
            assert (await _act(client, "place", {"sku": "TEA", "quantity": "1"})).status_code == 403


DELIVERY = {
    "name": "Bo",
    "phone": "0612345678",
    "mode": "delivery",
    "line1": "3 rue des Lilas",
    "postal_code": "75011",
    "city": "Paris",
    "country": "FR",
    "payment": "cash_on_delivery",
    "priority": "normal",
    "sku": "TEA",
    "quantity": "1",
}


async def _shop_zone(harness: Harness) -> ZoneInfo:
    """The zone the shop's forms read a slot's day and times in."""
    async with harness.db.read() as session:
        return ZoneInfo((await get_profile(session)).timezone)


async def test_staff_give_a_phone_delivery_its_slot(harness: Harness) -> None:
    await _shop(harness)
    zone = await _shop_zone(harness)
    day = (datetime.now(zone).date() + timedelta(days=1)).isoformat()
    async with harness.signed_in(Role.STAFF) as client:
        page = await client.get("/orders/new")
        assert 'id="delivery-slot"' in page.text
        placed = await _act(
            client, "place", {**DELIVERY, "slot_date": day, "slot_from": "09:00", "slot_to": "11:00"}
        )
        assert placed.status_code == 303, placed.text
        shown = await client.get(placed.headers["location"])
    assert 'id="order-slot"' in shown.text
    async with harness.db.read() as session:
        order = await session.scalar(select(Order))
    start, end = order.delivery_slot_start.astimezone(zone), order.delivery_slot_end.astimezone(zone)
    assert (start.date().isoformat(), start.hour, end.hour) == (day, 9, 11)


async def test_a_bad_slot_is_explained_on_the_entry_form(harness: Harness) -> None:
    await _shop(harness)
    zone = await _shop_zone(harness)
    day = (datetime.now(zone).date() + timedelta(days=1)).isoformat()
    async with harness.signed_in(Role.STAFF) as client:
        for slot, message in (
            ({"slot_date": day, "slot_from": "11:00", "slot_to": "09:00"}, "ends after it starts"),
            ({"slot_date": "2020-01-01", "slot_from": "09:00", "slot_to": "11:00"}, "already over"),
            ({"slot_to": "11:00"}, "the times it starts and ends"),
        ):
            answer = await _act(client, "place", {**DELIVERY, **slot})
            assert answer.status_code == 400, slot
            assert message in answer.text, slot
            assert 'id="f-slot-error"' in answer.text
    assert await _count(harness, Order) == 0
