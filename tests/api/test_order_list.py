"""The team's order list: filters, search, pages and the CSV export."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.orders.models import Order
from backend.orders.rules import Actor, Address, Channel, CustomerDetails, OrderDraft, WantedLine
from backend.orders.service import cancel_order, place_order
from tests.api.conftest import Harness
from tests.api.stock_fixtures import add_location, add_product
from tests.api.stock_helpers import receive_stock

HOME = Address("3 rue des Lilas", "Paris", "75011", "FR")


async def _orders(harness: Harness, count: int) -> list[str]:
    location = await add_location(harness.db, "main", default=True)
    tea = await add_product(harness.db, "TEA")
    await receive_stock(harness.db, tea, location, 500)
    numbers = []
    for n in range(count):
        who = CustomerDetails(f"Shopper {n:02d}", f"shopper{n}@example.test")
        draft = OrderDraft(
            who, [WantedLine("TEA", 1)], "delivery", "cash_on_delivery", Channel.STOREFRONT, HOME
        )
        numbers.append((await place_order(harness.db, Actor(None), draft)).number)
    return numbers


async def test_the_list_pages_through_every_order_newest_first(harness: Harness) -> None:
    numbers = await _orders(harness, 55)
    seen: list[str] = []
    async with harness.signed_in(Role.STAFF) as client:
        url = "/orders/all"
        while url:
            answer = await client.get(url, headers={"hx-request": "true"})
            assert answer.status_code == 200
            seen += re.findall(r'data-order="([^"]+)"', answer.text)
            more = re.search(r'hx-get="(/orders/all\?[^"]+)"', answer.text)
            url = more.group(1).replace("&amp;", "&") if more else ""
    assert seen == list(reversed(numbers))


async def test_filters_and_search(harness: Harness) -> None:
    numbers = await _orders(harness, 3)
    owner = harness.users[Role.OWNER]
    async with harness.db.read() as session:
        order_id = await session.scalar(select(Order.id).where(Order.number == numbers[1]))
    await cancel_order(harness.db, Actor(owner.id, ROLE_PERMISSIONS[Role.OWNER]), order_id, "duplicate")
    async with harness.signed_in(Role.STAFF) as client:
        cancelled = await client.get("/orders/all", params={"status": "cancelled"})
        found = await client.get("/orders/all", params={"q": "shopper 02"})
        today = await client.get(
            "/orders/all", params={"placed_from": "2000-01-01", "placed_to": "2000-01-02"}
        )
    assert re.findall(r'data-order="([^"]+)"', cancelled.text) == [numbers[1]]
    assert re.findall(r'data-order="([^"]+)"', found.text) == [numbers[2]]
    assert "No order matches." in today.text


async def test_bad_filters_are_explained(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        for params, message, marked in (
            ({"status": "lost"}, "Choose one of the listed values.", 'aria-invalid="true"'),
            ({"placed_from": "31/12/2026"}, "Use a date such as", 'aria-invalid="true"'),
            ({"customer": "ada"}, "A customer is given by their number.", 'role="alert"'),
        ):
            answer = await client.get("/orders/all", params=params)
            assert answer.status_code == 400, params
            assert message in answer.text
            assert marked in answer.text
            assert (await client.get("/orders/export.csv", params=params)).status_code == 400


async def test_the_csv_export_holds_every_matching_order(harness: Harness) -> None:
    numbers = await _orders(harness, 3)
    async with harness.signed_in(Role.OWNER) as client:
        answer = await client.get("/orders/export.csv")
        one = await client.get("/orders/export.csv", params={"q": numbers[0]})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["number"] for row in rows] == list(reversed(numbers))
    assert rows[0]["total"] == "2.50"
    assert rows[0]["currency"] == "EUR"
    assert [row["number"] for row in csv.DictReader(io.StringIO(one.text))] == [numbers[0]]


async def test_only_people_who_see_orders_get_the_list(harness: Harness) -> None:
    for role in (Role.DRIVER, Role.CUSTOMER):
        async with harness.signed_in(role) as client:
            assert (await client.get("/orders/all")).status_code == 403
            assert (await client.get("/orders/export.csv")).status_code == 403
