"""The team's order list: filters, search, pages and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.orders import queries
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.models import Order
from backend.orders.rules import Actor, Channel
from backend.orders.service import cancel_order, place_order
from backend.orders.web import list_filters as order_list
from tests.api.conftest import Harness
from tests.api.order_fixtures import set_placed_at
from tests.api.stock_fixtures import add_location, add_product
from tests.api.stock_helpers import receive_stock

HOME = Address("3 rue des Lilas", "Paris", "75011", "FR")
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)  # the shop is in Paris: 13:00 there


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


async def test_a_shopper_named_like_a_formula_is_text_in_the_csv_export(harness: Harness) -> None:
    location = await add_location(harness.db, "main", default=True)
    await receive_stock(harness.db, await add_product(harness.db, "TEA"), location, 5)
    evil = '=HYPERLINK("http://evil.example","Open")'
    who = CustomerDetails(evil, "evil@example.test", "+33612345678")
    draft = OrderDraft(who, [WantedLine("TEA", 1)], "delivery", "cash_on_delivery", Channel.STOREFRONT, HOME)
    await place_order(harness.db, Actor(None), draft)
    async with harness.signed_in(Role.OWNER) as client:
        exported = await client.get("/orders/export.csv")
    row = next(csv.DictReader(io.StringIO(exported.text)))
    assert row["customer"] == "'" + evil
    assert row["phone"] == "'+33612345678"
    formulas = [cell for line in csv.reader(io.StringIO(exported.text)) for cell in line]
    assert not [cell for cell in formulas if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


async def test_only_people_who_see_orders_get_the_list(harness: Harness) -> None:
    for role in (Role.DRIVER, Role.CUSTOMER):
        async with harness.signed_in(role) as client:
            assert (await client.get("/orders/all")).status_code == 403
            assert (await client.get("/orders/export.csv")).status_code == 403


Placed = tuple[datetime, int, str]  # placed_at, id, number


async def _place_at(harness: Harness, numbers: list[str], moments: list[datetime]) -> list[Placed]:
    async with harness.db.read() as session:
        ids = dict(
            (await session.execute(select(Order.number, Order.id).where(Order.number.in_(numbers)))).all()
        )
    await harness.db.run(
        set_placed_at, {ids[number]: moment for number, moment in zip(numbers, moments, strict=True)}
    )
    return [(moment, ids[number], number) for number, moment in zip(numbers, moments, strict=True)]


async def _walk(harness: Harness, wanted: queries.OrderQuery) -> list[str]:
    """Every page of the list, following each page's cursor."""
    seen: list[str] = []
    async with harness.db.read() as session:
        while True:
            page = await queries.list_orders(session, wanted)
            seen += [order.number for order in page.items]
            if page.next_cursor is None:
                return seen
            wanted = replace(wanted, after_id=int(page.next_cursor))


async def test_a_day_is_listed_newest_first_by_the_time_placed(harness: Harness, monkeypatch) -> None:
    numbers = await _orders(harness, 7)
    hour = timedelta(hours=1)
    await _place_at(
        harness,
        numbers,
        # Paris: 13:00, 10:30 the next day, 13:00, 13:00, 23:30, 00:30 the next day, 08:00
        [NOON, NOON + 22.5 * hour, NOON, NOON, NOON + 10.5 * hour, NOON + 11.5 * hour, NOON - 5 * hour],
    )
    newest_first = [numbers[4], numbers[3], numbers[2], numbers[0], numbers[6]]
    monkeypatch.setattr(order_list, "EXPORT_PAGE", 2)  # so the export reads several pages
    day = {"placed_from": "2026-03-10", "placed_to": "2026-03-10"}
    async with harness.signed_in(Role.STAFF) as client:
        listed = await client.get("/orders/all", params=day)
        exported = await client.get("/orders/export.csv", params=day)
    assert re.findall(r'data-order="([^"]+)"', listed.text) == newest_first
    assert [row["number"] for row in csv.DictReader(io.StringIO(exported.text))] == newest_first


async def test_the_api_pages_through_a_period_by_the_time_placed(harness: Harness) -> None:
    numbers = await _orders(harness, 5)
    minute = timedelta(minutes=1)
    await _place_at(harness, numbers, [NOON, NOON, NOON - minute, NOON + minute, NOON])
    period = {"placed_from": "2026-03-10T00:00:00Z", "placed_before": "2026-03-11T00:00:00Z", "limit": 2}
    seen: list[str] = []
    async with harness.client() as client:
        client.headers["Authorization"] = f"Bearer {await harness.token(Role.STAFF)}"
        cursor = None
        while True:
            params = period if cursor is None else {**period, "cursor": cursor}
            body = (await client.get("/api/v1/orders", params=params)).json()
            seen += [item["number"] for item in body["items"]]
            if (cursor := body["next_cursor"]) is None:
                break
    assert seen == [numbers[3], numbers[4], numbers[1], numbers[0], numbers[2]]


async def test_pages_within_dates_hold_every_order_once_when_times_are_equal(harness: Harness) -> None:
    numbers = await _orders(harness, 9)
    times = [NOON + timedelta(minutes=n) for n in range(4)]
    placed = await _place_at(harness, numbers, [times[n] for n in (0, 1, 1, 2, 1, 0, 3, 2, 1)])
    for start, end in ((times[1], None), (None, times[3]), (times[1], times[3]), (times[0], times[2])):
        expected = [
            number
            for moment, _, number in sorted(placed, reverse=True)  # newest first, then the higher id
            if (start is None or moment >= start) and (end is None or moment < end)
        ]
        for limit in (1, 2, 3, 4):
            wanted = queries.OrderQuery(placed_from=start, placed_before=end, limit=limit)
            assert await _walk(harness, wanted) == expected, (start, end, limit)


async def test_a_cursor_from_outside_the_period_shows_nothing_outside_it(harness: Harness) -> None:
    numbers = await _orders(harness, 4)
    hour = timedelta(hours=1)
    placed = await _place_at(harness, numbers, [NOON - hour, NOON, NOON + hour, NOON + 2 * hour])
    later = placed[3][1]  # past the period's end, with an order between the two
    wanted = queries.OrderQuery(placed_from=NOON - hour, placed_before=NOON + hour, after_id=later)
    async with harness.db.read() as session:
        page = await queries.list_orders(session, wanted)
    assert all(NOON - hour <= order.placed_at < NOON + hour for order in page.items)
