"""A customer calls their own order off from its tracking page, with a reason, until the shop
accepts it; nobody else can do it from there, not even with the e-mail the order was placed with."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from backend.auth.rules import Role
from backend.customers.models import Customer
from backend.orders import service
from backend.orders.drafts import CustomerDetails
from backend.orders.models import Order
from backend.orders.rules import Actor
from backend.orders.views import PlacedOrder
from tests.api.conftest import Harness, post_form
from tests.api.order_fixtures import Shop, actor_for, build_shop, draft
from tests.api.stock_fixtures import level


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    return await build_shop(harness.db)


@pytest.fixture
async def order(harness: Harness, shop: Shop) -> PlacedOrder:
    """Placed in the shop by the signed-in customer, so it belongs to their account."""
    customer = actor_for(Role.CUSTOMER, harness.users[Role.CUSTOMER].id)
    return await service.place_order(harness.db, customer, draft(channel="storefront"))


async def status_of(harness: Harness, order_id: int) -> tuple[str, int]:
    async with harness.db.read() as session:
        saved = await session.get_one(Order, order_id)
        return saved.status, saved.version


async def cancel(
    client: httpx.AsyncClient, order: PlacedOrder, reason: str, version: int = 1
) -> httpx.Response:
    data = {"version": str(version), "reason": reason}
    return await post_form(client, f"/t/{order.tracking_token}/cancel", data)


async def test_the_customer_cancels_their_order_with_a_reason_and_the_stock_is_released(
    harness: Harness, shop: Shop, order: PlacedOrder
) -> None:
    async with harness.signed_in(Role.CUSTOMER) as customer:
        page = await customer.get(f"/t/{order.tracking_token}")
        missing = await cancel(customer, order, " ")
        assert await status_of(harness, order.id) == ("placed", 1)
        response = await cancel(customer, order, "Ordered twice by mistake")
        after = await customer.get(response.headers["location"])
    assert 'id="cancel-order"' in page.text
    assert missing.status_code == 400
    assert "Say why." in missing.text
    assert 'id="cancel-order" open' in missing.text
    assert response.status_code == 303
    assert response.headers["location"] == f"/t/{order.tracking_token}"
    assert await status_of(harness, order.id) == ("cancelled", 2)
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 0
    assert 'data-status="cancelled"' in after.text
    assert "Cancelled: Ordered twice by mistake" in after.text
    assert 'id="cancel-order"' not in after.text


async def test_once_the_shop_has_accepted_the_order_the_customer_can_no_longer_cancel_it(
    harness: Harness, order: PlacedOrder
) -> None:
    accepted = await service.accept_order(
        harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), order.id
    )
    async with harness.signed_in(Role.CUSTOMER) as customer:
        page = await customer.get(f"/t/{order.tracking_token}")
        late = await cancel(customer, order, "Too late?", accepted.version)
        stale = await cancel(customer, order, "Too late?")
    assert 'id="cancel-order"' not in page.text
    assert late.status_code == stale.status_code == 409
    assert "it can no longer be cancelled here" in late.text
    assert "Your order changed in the meantime" in stale.text
    assert await status_of(harness, order.id) == ("accepted", 2)


async def test_a_hold_does_not_stop_the_customer_from_cancelling(
    harness: Harness, order: PlacedOrder
) -> None:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    held = await service.hold_order(harness.db, owner, order.id, "Payment pending")
    async with harness.signed_in(Role.CUSTOMER) as customer:
        response = await cancel(customer, order, "Changed my mind", held.version)
    assert response.status_code == 303
    assert await status_of(harness, order.id) == ("cancelled", 3)


async def test_a_visitor_with_the_link_may_follow_the_order_but_not_cancel_it(
    harness: Harness, order: PlacedOrder
) -> None:
    async with harness.client() as visitor:
        page = await visitor.get(f"/t/{order.tracking_token}")
        response = await cancel(visitor, order, "Not mine")
    async with harness.signed_in(Role.DRIVER) as driver:
        refused = await cancel(driver, order, "Not mine")
    assert page.status_code == 200
    assert 'id="cancel-order"' not in page.text
    assert response.status_code == 401
    assert refused.status_code == 403
    assert await status_of(harness, order.id) == ("placed", 1)


async def test_an_order_of_someone_else_shows_no_cancel_button_to_a_signed_in_customer(
    harness: Harness, shop: Shop
) -> None:
    placed = await service.place_order(
        harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft(channel="storefront")
    )
    async with harness.signed_in(Role.CUSTOMER) as customer:
        page = await customer.get(f"/t/{placed.tracking_token}")
        refused = await cancel(customer, placed, "Not mine")
    assert 'id="cancel-order"' not in page.text
    assert refused.status_code == 403
    assert await status_of(harness, placed.id) == ("placed", 1)


VICTIM = CustomerDetails("Vic Tim", "victim@example.test", "+33699999999")


async def account_of(harness: Harness, order_id: int) -> int | None:
    async with harness.db.read() as session:
        order = await session.get_one(Order, order_id)
        return await session.scalar(select(Customer.user_id).where(Customer.id == order.customer_id))


async def test_checking_out_with_another_shoppers_email_gives_no_hold_on_their_orders(
    harness: Harness, shop: Shop
) -> None:
    theirs = await service.place_order(harness.db, Actor(None), draft(channel="storefront", customer=VICTIM))
    customer_id = harness.users[Role.CUSTOMER].id
    customer = actor_for(Role.CUSTOMER, customer_id)
    mine = await service.place_order(harness.db, customer, draft(channel="storefront", customer=VICTIM))
    async with harness.signed_in(Role.CUSTOMER) as signed_in:
        page = await signed_in.get(f"/t/{theirs.tracking_token}")
        refused = await cancel(signed_in, theirs, "Not mine, but I typed their e-mail")
    assert 'id="cancel-order"' not in page.text
    assert refused.status_code == 403
    assert await status_of(harness, theirs.id) == ("placed", 1)
    assert await account_of(harness, theirs.id) is None
    assert await account_of(harness, mine.id) == customer_id


async def test_an_order_placed_without_signing_in_never_joins_an_accounts_record(
    harness: Harness, shop: Shop
) -> None:
    customer = actor_for(Role.CUSTOMER, harness.users[Role.CUSTOMER].id)
    await service.place_order(harness.db, customer, draft(channel="storefront", customer=VICTIM))
    theirs = await service.place_order(harness.db, Actor(None), draft(channel="storefront", customer=VICTIM))
    by_staff = await service.place_order(
        harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft(customer=VICTIM)
    )
    async with harness.signed_in(Role.CUSTOMER) as signed_in:
        page = await signed_in.get(f"/t/{theirs.tracking_token}")
        refused = await cancel(signed_in, theirs, "Someone else's")
    assert 'id="cancel-order"' not in page.text
    assert refused.status_code == 403
    assert await account_of(harness, theirs.id) is None
    assert await account_of(harness, by_staff.id) is None


async def test_an_unknown_link_is_not_found(harness: Harness, order: PlacedOrder) -> None:
    async with harness.signed_in(Role.CUSTOMER) as customer:
        response = await post_form(customer, "/t/nothing-here/cancel", {"version": "1", "reason": "x"})
    assert response.status_code == 404
