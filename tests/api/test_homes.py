"""Each person's first screen is their own, at "/": visitors shop, customers follow their orders,
drivers find their run, the team keeps its activity; and a customer never sees the team's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.auth.rules import Role
from backend.auth.service import create_user
from backend.kernel.db import utcnow
from backend.kernel.events import Event
from backend.kernel.money import format_money
from backend.orders import service
from backend.orders.drafts import CustomerDetails
from backend.orders.models import Order
from backend.orders.views import PlacedOrder
from tests.api.conftest import PASSWORD, Harness, caught_up, post_form, sign_in
from tests.api.order_fixtures import Shop, actor_for, build_shop, draft, set_placed_at


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    return await build_shop(harness.db)


async def _place_as_customer(harness: Harness, user_id: int | None = None) -> PlacedOrder:
    customer = actor_for(Role.CUSTOMER, user_id or harness.users[Role.CUSTOMER].id)
    return await service.place_order(harness.db, customer, draft(channel="storefront"))


async def _place_by_phone(harness: Harness) -> PlacedOrder:
    """Taken by staff for someone with the customer's e-mail: it never joins their account."""
    staff = actor_for(Role.STAFF, harness.users[Role.STAFF].id)
    details = CustomerDetails("Cleo Customer", "customer@shop.test", "+33612345678")
    return await service.place_order(harness.db, staff, draft(channel="staff", customer=details))


def _nav(html: str) -> list[tuple[str, str]]:
    """The bottom navigation's destinations, in order: (href, label)."""
    nav = html.split('class="bottom-nav"')[1].split("</nav>", maxsplit=1)[0]
    return re.findall(r'<a href="([^"]*)".*?<span>([^<]*)</span>', nav, flags=re.DOTALL)


async def test_a_visitor_at_the_front_door_is_shown_the_shop_not_a_sign_in_wall(harness: Harness) -> None:
    async with harness.client() as client:
        response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/shop"


async def test_a_customer_lands_on_their_orders_newest_first_and_sees_only_their_own(
    harness: Harness, shop: Shop
) -> None:
    older, newer = await _place_as_customer(harness), await _place_as_customer(harness)
    await harness.db.run(set_placed_at, {newer.id: utcnow() + timedelta(hours=1)})  # whatever the ids say
    by_phone = await _place_by_phone(harness)
    stranger = await _place_as_customer(harness, harness.users[Role.DRIVER].id)  # another account
    await service.accept_order(harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), older.id)
    async with harness.client() as client:
        signed = await sign_in(client, "customer@shop.test", PASSWORD)
        home = await client.get(signed.headers["location"])
    assert signed.headers["location"] == "/"
    assert "<title>My orders · Comptoir</title>" in home.text
    listed = re.findall(r'id="my-order-(\d+)"', home.text)
    assert listed == [str(newer.id), str(older.id)]
    assert f'href="/my/orders/{older.id}"' in home.text
    row = home.text.split(f'id="my-order-{older.id}"')[1].split("</li>")[0]
    assert "Accepted" in row
    assert format_money(older.total_minor, "EUR") in row
    assert by_phone.number not in home.text
    assert stranger.number not in home.text


async def test_a_customer_never_sees_the_teams_activity_not_even_their_own_account_opening(
    harness: Harness,
) -> None:
    await create_user(harness.db, "nina@shop.test", "Nina New", Role.STAFF, PASSWORD)
    await create_user(harness.db, "paul@shop.test", "Paul Shopper", Role.CUSTOMER, PASSWORD)
    async with harness.client() as client:
        await sign_in(client, "paul@shop.test", PASSWORD)
        home = await client.get("/")
    await caught_up(harness.app)  # the team's feed hears of both through the log
    async with harness.signed_in(Role.OWNER) as owner:
        team_home = await owner.get("/")
    assert home.status_code == 200
    for team_only in ("Latest activity", "joined the team", "Nina New", "customer account", 'id="activity"'):
        assert team_only not in home.text
    assert "You have no orders yet." in home.text
    assert 'href="/shop"' in home.text.split('id="main"')[1].split("</main>")[0]
    assert "Nina New joined the team" in team_home.text
    assert "Paul Shopper opened a customer account" in team_home.text


async def test_each_roles_navigation_starts_with_its_own_home_and_offers_nothing_it_cannot_use(
    harness: Harness,
) -> None:
    homes = {}
    for role in Role:
        async with harness.signed_in(role) as client:
            homes[role] = (await client.get("/", follow_redirects=True)).text
    assert _nav(homes[Role.CUSTOMER]) == [("/", "My orders"), ("/shop", "Shop"), ("/more", "Menu")]
    assert _nav(homes[Role.DRIVER]) == [("/deliveries/today", "Today's run"), ("/more", "Menu")]
    assert _nav(homes[Role.STAFF])[0] == ("/", "Home")
    assert ("/orders", "Orders") in _nav(homes[Role.OWNER])
    for role in (Role.CUSTOMER, Role.DRIVER):
        assert 'aria-current="page"' in homes[role].split('class="bottom-nav"')[1].split("</a>")[0]


async def test_a_driver_finds_their_run_and_no_team_feed(harness: Harness) -> None:
    await create_user(harness.db, "nina@shop.test", "Nina New", Role.STAFF, PASSWORD)
    async with harness.signed_in(Role.DRIVER) as driver:
        first = await driver.get("/")
        home = await driver.get("/", follow_redirects=True)
    assert (first.status_code, first.headers["location"]) == (303, "/deliveries/today")
    assert home.status_code == 200
    assert "<title>Today's run · Comptoir</title>" in home.text
    assert "No stops for you today" in home.text
    assert "Latest activity" not in home.text
    assert "Nina New" not in home.text


async def test_staff_keep_their_home_with_the_teams_activity(harness: Harness) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        home = await staff.get("/")
    assert "<title>Home · Comptoir</title>" in home.text
    assert "Latest activity" in home.text


async def test_a_customer_follows_and_cancels_their_order_from_my_orders_and_no_one_elses(
    harness: Harness, shop: Shop
) -> None:
    mine = await _place_as_customer(harness)
    theirs = await _place_as_customer(harness, harness.users[Role.DRIVER].id)
    async with harness.signed_in(Role.CUSTOMER) as customer:
        page = await customer.get(f"/my/orders/{mine.id}")
        other = await customer.get(f"/my/orders/{theirs.id}")
        nowhere = await customer.get("/my/orders/999999")
        refused = await post_form(customer, f"/my/orders/{theirs.id}/cancel", {"version": "1", "reason": "x"})
        cancelled = await post_form(
            customer, f"/my/orders/{mine.id}/cancel", {"version": "1", "reason": "Ordered twice"}
        )
        after = await customer.get(f"/my/orders/{mine.id}")
    async with harness.signed_in(Role.STAFF) as staff:
        not_staffs = await staff.get(f"/my/orders/{mine.id}")
    async with harness.client() as anonymous:
        signed_out = await anonymous.get(f"/my/orders/{mine.id}")
    assert page.status_code == 200
    assert f'data-order-number="{mine.number}"' in page.text
    assert 'data-status="placed"' in page.text
    trigger = "every 30s, htmx:wsOpen from:body, orders-changed from:body, tracking-changed from:body"
    assert f'hx-trigger="{trigger}"' in page.text  # the account's socket: its orders and their runs
    assert 'id="cancel-order"' in page.text
    assert other.status_code == nowhere.status_code == refused.status_code == 404
    assert not_staffs.status_code == 403  # a customer's page: the team finds orders under /orders
    assert theirs.number not in other.text
    assert signed_out.status_code == 401
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/my/orders/{mine.id}"
    assert 'data-status="cancelled"' in after.text
    async with harness.db.read() as session:
        assert await session.scalar(select(Order.status).where(Order.id == theirs.id)) == "placed"


async def test_order_events_carry_the_account_they_belong_to_and_only_theirs(
    harness: Harness, shop: Shop
) -> None:
    mine, by_phone = await _place_as_customer(harness), await _place_by_phone(harness)
    staff = actor_for(Role.STAFF, harness.users[Role.STAFF].id)
    for order in (mine, by_phone):
        await service.hold_order(harness.db, staff, order.id, "Check the address")
        await service.release_order(harness.db, staff, order.id)
    async with harness.db.read() as session:
        events = list(await session.scalars(select(Event).where(Event.type.like("order.%"))))
    accounts = {(event.subject, event.type): event.data.get("account") for event in events}
    customer_id = harness.users[Role.CUSTOMER].id
    assert accounts[(f"order:{mine.id}", "order.on_hold")] == customer_id
    assert accounts[(f"order:{mine.id}", "order.placed")] == customer_id
    assert {account for (subject, _), account in accounts.items() if subject == f"order:{by_phone.id}"} == {
        None
    }
