"""The acceptance queue through its pages: what it lists, each action, what it refuses and to whom."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from backend.auth.rules import Role
from backend.kernel.db import utcnow
from backend.orders import service
from backend.orders.drafts import CustomerDetails
from backend.orders.models import Order
from backend.orders.views import PlacedOrder
from tests.api.conftest import Harness, MakeHarness, caught_up, post_form
from tests.api.order_fixtures import Shop, actor_for, build_shop, draft, set_placed_at
from tests.api.stock_fixtures import level


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    return await build_shop(harness.db)


async def place(harness: Harness, **changes: object) -> PlacedOrder:
    return await service.place_order(
        harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft(**changes)
    )


async def status_of(harness: Harness, order_id: int) -> tuple[str, int]:
    async with harness.db.read() as session:
        order = await session.get_one(Order, order_id)
        return order.status, order.version


async def act(client: httpx.AsyncClient, order: PlacedOrder, action: str, **fields: str) -> httpx.Response:
    data = {"version": str(order.version), **fields}
    return await post_form(client, f"/orders/{order.id}/{action}", data)


async def test_the_queue_lists_waiting_orders_newest_first_with_what_the_owner_decides_on(
    harness: Harness, shop: Shop
) -> None:
    first = await place(harness)
    second = await place(harness, customer=CustomerDetails("Grace Hopper", "grace@example.com"))
    async with harness.signed_in(Role.OWNER) as owner:
        page = await owner.get("/orders")
    assert page.status_code == 200
    text = page.text
    assert text.index(second.number) < text.index(first.number)
    assert 'id="queue-count" class="badge" data-queue-count>2<' in text
    assert "Grace Hopper" in text
    assert "€9.00" in text
    assert "3 items" in text
    assert "Entrepôt" in text
    assert "Delivery" in text
    assert "API" in text
    assert "Waiting for <span data-waited>0 minutes</span>" in text
    assert text.count('name="_idempotency_key"') == 2 * 4  # accept, reject, hold, location
    assert f'name="version" value="{first.version}"' in text
    assert "data-offline" in text


async def test_orders_waiting_longer_than_the_setting_stand_out(make_harness: MakeHarness) -> None:
    harness = await make_harness(order_wait_alert_minutes=5)
    await build_shop(harness.db)
    old, new = await place(harness), await place(harness)
    await harness.db.run(set_placed_at, {old.id: utcnow() - timedelta(minutes=7)})
    async with harness.signed_in(Role.STAFF) as staff:
        text = (await staff.get("/orders")).text
    late = text[text.index(f'id="queue-card-{old.id}"') :][:300]
    fresh = text[text.index(f'id="queue-card-{new.id}"') :][:300]
    assert "queue-card--late" in late
    assert "data-late" in late
    assert "queue-card--late" not in fresh


async def test_waits_read_as_people_say_them(harness: Harness, shop: Shop) -> None:
    long_ago, days_ago = await place(harness), await place(harness)
    now = utcnow()
    placed = {long_ago.id: now - timedelta(minutes=2135), days_ago.id: now - timedelta(days=2, hours=3)}
    await harness.db.run(set_placed_at, placed)
    async with harness.signed_in(Role.OWNER) as owner:
        text = (await owner.get("/orders")).text
        french = (await owner.get("/orders", headers={"accept-language": "fr"})).text
    assert "Waiting for <span data-waited>36 hours</span>" in text
    assert "Waiting for <span data-waited>2 days</span>" in text
    assert "En attente depuis <span data-waited>2\xa0jours</span>" in french


async def test_risk_holds_are_explained_in_plain_words(harness: Harness, shop: Shop) -> None:
    held = await place(harness, channel="storefront", address=replace(draft().address, country="BE"))
    async with harness.signed_in(Role.OWNER) as owner:
        text = (await owner.get("/orders")).text
    assert held.status == "on_hold"
    assert "On hold" in text
    assert "country is not the delivery address" in text, text[text.index("queue-card__risks") - 50 :][:400]


async def test_accepting_takes_the_order_out_of_the_queue(harness: Harness, shop: Shop) -> None:
    order = await place(harness)
    async with harness.signed_in(Role.STAFF) as staff:
        response = await act(staff, order, "accept")
        assert response.status_code == 303
        assert response.headers["location"] == "/orders"
        text = (await staff.get("/orders")).text
    assert await status_of(harness, order.id) == ("accepted", 2)
    assert f'id="queue-card-{order.id}"' not in text
    assert "No order is waiting." in text


async def test_rejecting_needs_a_reason_and_releases_the_stock(harness: Harness, shop: Shop) -> None:
    order = await place(harness)
    async with harness.signed_in(Role.OWNER) as owner:
        missing = await act(owner, order, "reject", reason="  ")
        assert missing.status_code == 400
        assert "Say why." in missing.text
        assert 'role="alert"' in missing.text
        assert await status_of(harness, order.id) == ("placed", 1)
        response = await act(owner, order, "reject", reason="Closed for the holidays")
    assert response.status_code == 303
    assert await status_of(harness, order.id) == ("rejected", 2)
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 0


async def test_holding_needs_a_reason_and_keeps_the_order_waiting(harness: Harness, shop: Shop) -> None:
    order = await place(harness)
    async with harness.signed_in(Role.OWNER) as owner:
        assert (await act(owner, order, "hold")).status_code == 400
        assert (await act(owner, order, "hold", reason="Call the customer")).status_code == 303
        text = (await owner.get("/orders")).text
    assert await status_of(harness, order.id) == ("on_hold", 2)
    assert 'data-status="on_hold" data-version="2"' in text


async def test_changing_the_location_holds_the_stock_there_instead(harness: Harness, shop: Shop) -> None:
    order = await place(harness, lines=[draft().lines[0]])  # 2 apples: 10 at ENT, 5 at BTQ
    async with harness.signed_in(Role.OWNER) as owner:
        response = await act(owner, order, "location", location="BTQ")
    assert response.status_code == 303
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 0
    assert (await level(harness.db, shop.products["APPLE"], shop.boutique)).reserved == 2


async def test_a_location_without_the_stock_is_refused_with_the_short_lines_named(
    harness: Harness, shop: Shop
) -> None:
    order = await place(harness)  # a pear, and the boutique has none
    async with harness.signed_in(Role.OWNER) as owner:
        response = await act(owner, order, "location", location="BTQ")
    assert response.status_code == 409
    assert "BTQ lacks stock for: PEAR (0/1)" in response.text
    assert await status_of(harness, order.id) == ("placed", 1)
    assert (await level(harness.db, shop.products["PEAR"], shop.warehouse)).reserved == 1


async def test_an_unknown_location_is_refused(harness: Harness, shop: Shop) -> None:
    order = await place(harness)
    async with harness.signed_in(Role.OWNER) as owner:
        unknown = await act(owner, order, "location", location="NOWHERE")
        empty = await act(owner, order, "location", location="")
    assert unknown.status_code == empty.status_code == 400
    assert "No location has this code." in unknown.text
    assert await status_of(harness, order.id) == ("placed", 1)


async def test_an_unknown_order_is_not_found(harness: Harness, shop: Shop) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        for path in ("/orders/999", "/orders/999/card"):
            assert (await owner.get(path)).status_code == 404
        response = await post_form(owner, "/orders/999/accept", {"version": "1"})
    assert response.status_code == 404


async def test_a_stale_version_answers_409_with_the_order_as_it_is_now(harness: Harness, shop: Shop) -> None:
    order = await place(harness)
    async with harness.signed_in(Role.OWNER) as owner:
        assert (await act(owner, order, "hold", reason="Check the address")).status_code == 303
        response = await act(owner, order, "accept")  # still carries version 1
        missing_version = await post_form(owner, f"/orders/{order.id}/accept", {})
    assert response.status_code == 409
    assert f'data-attention="{order.id}"' in response.text
    assert "The order changed in the meantime" in response.text
    assert "data-current-status>On hold<" in response.text
    assert missing_version.status_code == 400
    assert await status_of(harness, order.id) == ("on_hold", 2)


async def test_an_order_cancelled_meanwhile_is_shown_as_cancelled_and_not_accepted(
    harness: Harness, shop: Shop
) -> None:
    order = await place(harness)
    owner_actor = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    cancelled = await service.cancel_order(harness.db, owner_actor, order.id, "Customer called")
    async with harness.signed_in(Role.STAFF) as staff:
        response = await act(staff, replace(order, version=cancelled.version), "accept")
        stale = await act(staff, order, "accept")  # read before the cancellation
    assert response.status_code == 409
    assert "data-current-status>Cancelled<" in response.text
    assert "An order in this status cannot go there." in response.text
    assert stale.status_code == 409
    assert "The order is no longer waiting for a decision" in stale.text
    assert await status_of(harness, order.id) == ("cancelled", 2)


async def test_the_same_key_sent_twice_accepts_once(harness: Harness, shop: Shop) -> None:
    order = await place(harness)
    async with harness.signed_in(Role.OWNER) as owner:
        first = await act(owner, order, "accept", _idempotency_key="key-accept-1")
        again = await act(owner, order, "accept", _idempotency_key="key-accept-1")
    assert first.status_code == again.status_code == 303
    assert again.headers.get("idempotent-replayed") == "true"
    assert await status_of(harness, order.id) == ("accepted", 2)


@pytest.mark.parametrize("role", [Role.DRIVER, Role.CUSTOMER])
async def test_drivers_and_customers_may_neither_see_nor_decide(
    harness: Harness, shop: Shop, role: Role
) -> None:
    order = await place(harness)
    async with harness.signed_in(role) as person:
        for path in ("/orders", f"/orders/{order.id}/card"):
            assert (await person.get(path)).status_code == 403
        for action, fields in (
            ("accept", {}),
            ("reject", {"reason": "no"}),
            ("location", {"location": "BTQ"}),
        ):
            assert (await act(person, order, action, **fields)).status_code == 403
    assert await status_of(harness, order.id) == ("placed", 1)


async def test_staff_who_may_only_see_orders_get_no_buttons_and_no_actions(
    harness: Harness, shop: Shop
) -> None:
    order = await place(harness)
    staff_id = harness.users[Role.STAFF].id
    async with harness.signed_in(Role.OWNER) as owner:
        response = await post_form(
            owner, f"/team/{staff_id}/permissions", {"permission": ["orders.view"], "version": "1"}
        )
        assert response.status_code == 303
    async with harness.signed_in(Role.STAFF) as staff:
        page = await staff.get("/orders")
        refused = await act(staff, order, "accept")
    assert order.number in page.text
    assert "/accept" not in page.text
    assert refused.status_code == 403
    assert await status_of(harness, order.id) == ("placed", 1)


async def test_the_card_of_an_order_no_longer_waiting_is_empty(harness: Harness, shop: Shop) -> None:
    order = await place(harness)
    async with harness.signed_in(Role.OWNER) as owner:
        waiting = await owner.get(f"/orders/{order.id}/card")
        await act(owner, order, "accept")
        decided = await owner.get(f"/orders/{order.id}/card")
    assert f'id="queue-card-{order.id}"' in waiting.text
    assert decided.status_code == 200
    assert decided.text == ""


async def test_the_home_feed_shows_orders_only_to_people_who_may_see_them(
    harness: Harness, shop: Shop
) -> None:
    order = await place(harness)
    staff_id = harness.users[Role.STAFF].id
    async with harness.signed_in(Role.OWNER) as owner:
        await post_form(
            owner, f"/team/{staff_id}/permissions", {"permission": ["activity.view"], "version": "1"}
        )
        await caught_up(harness.app)  # a page's feed goes as far as its tailer has read
        owner_home = await owner.get("/")
    async with harness.signed_in(Role.STAFF) as staff:
        staff_home = await staff.get("/")
    assert f"New order {order.number}" in owner_home.text
    assert "changed permissions" in staff_home.text
    assert order.number not in staff_home.text
