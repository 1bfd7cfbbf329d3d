"""Deciding on an order from its page and from the queue: accept, hold, release the hold, reject,
cancel with a reason — each checked against the status, the version and the person's rights."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from backend.auth.rules import Role
from backend.orders import service
from backend.orders.models import Order
from backend.orders.rules import OrderStatus
from backend.orders.views import PlacedOrder
from tests.api.conftest import Harness, post_form
from tests.api.order_fixtures import Shop, actor_for, build_shop, draft
from tests.api.stock_fixtures import level


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    return await build_shop(harness.db)


@pytest.fixture
async def order(harness: Harness, shop: Shop) -> PlacedOrder:
    return await service.place_order(harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft())


async def held(harness: Harness, order: PlacedOrder) -> PlacedOrder:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    summary = await service.hold_order(harness.db, owner, order.id, "Check the address")
    return replace(order, version=summary.version)


async def status_of(harness: Harness, order_id: int) -> tuple[str, int]:
    async with harness.db.read() as session:
        saved = await session.get_one(Order, order_id)
        return saved.status, saved.version


async def on_page(
    client: httpx.AsyncClient, order: PlacedOrder, action: str, **fields: str
) -> httpx.Response:
    data = {"version": str(order.version), "view": "order", **fields}
    return await post_form(client, f"/orders/{order.id}/{action}", data)


def forms_of(text: str) -> set[str]:
    return {action for action in ("accept", "release", "hold", "reject", "cancel") if f'/{action}"' in text}


async def test_the_page_offers_the_moves_the_status_allows(harness: Harness, order: PlacedOrder) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        placed = (await staff.get(f"/orders/{order.id}")).text
        await held(harness, order)
        on_hold = (await staff.get(f"/orders/{order.id}")).text
    assert forms_of(placed) == {"accept", "hold", "reject", "cancel"}
    assert forms_of(on_hold) == {"accept", "release", "reject", "cancel"}
    assert 'name="view" value="order"' in placed
    assert "data-offline" in placed


LIVE_PARTS = (
    "order-summary",
    "order-risk",
    "order-customer",
    "order-lines",
    "order-actions",
    "order-timeline",
)


def live_parts(text: str, order_id: int) -> str:
    """What the page's live redraw takes from a fresh copy (orders/_live_order.html): each part
    must be on every page, or a redraw could not replace (or empty) it. Returns the actions part."""
    assert f'<div id="order-live-{order_id}" hidden></div>' in text
    assert all(text.count(f'id="{part}"') == 1 for part in LIVE_PARTS), text
    return text.split('<div id="order-actions">', 1)[1].split(
        '<section class="card" aria-labelledby="timeline', 1
    )[0]


async def test_the_parts_a_live_redraw_replaces_are_on_the_page_whatever_the_status(
    harness: Harness, order: PlacedOrder
) -> None:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    async with harness.signed_in(Role.STAFF) as staff:
        placed = live_parts((await staff.get(f"/orders/{order.id}")).text, order.id)
        await service.cancel_order(harness.db, owner, order.id, "Called off")
        cancelled = live_parts((await staff.get(f"/orders/{order.id}")).text, order.id)
    assert "<form" in placed
    assert "<form" not in cancelled  # a cancelled order offers nothing: the redraw empties the part


async def test_cancelling_needs_a_reason_then_releases_the_stock(
    harness: Harness, shop: Shop, order: PlacedOrder
) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        missing = await on_page(staff, order, "cancel", reason="   ")
        assert await status_of(harness, order.id) == ("placed", 1)
        response = await on_page(staff, order, "cancel", reason="The customer called it off")
        page = await staff.get(response.headers["location"])
    assert missing.status_code == 400
    assert "Say why." in missing.text
    assert 'data-action="cancel" open' in missing.text
    assert 'aria-describedby="cancel-error"' in missing.text
    assert response.status_code == 303
    assert response.headers["location"] == f"/orders/{order.id}?saved=true"
    assert await status_of(harness, order.id) == ("cancelled", 2)
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 0
    assert "cancelled order" in page.text
    assert "The customer called it off" in page.text
    assert forms_of(page.text) == set()


async def test_an_order_being_picked_may_still_be_cancelled_but_not_once_dispatched(
    harness: Harness, order: PlacedOrder
) -> None:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    await service.accept_order(harness.db, owner, order.id)
    picking = await service.transition_order(harness.db, owner, order.id, OrderStatus.PICKING)
    async with harness.signed_in(Role.STAFF) as staff:
        # Held (as a short pick does) or called off: no more edits, no going back to the queue.
        assert forms_of((await staff.get(f"/orders/{order.id}")).text) == {"hold", "cancel"}
        response = await on_page(staff, replace(order, version=picking.version), "cancel", reason="Damaged")
    assert response.status_code == 303
    assert (await status_of(harness, order.id))[0] == "cancelled"


async def test_a_cancellation_sent_with_an_old_version_is_refused_with_the_order_as_it_is_now(
    harness: Harness, order: PlacedOrder
) -> None:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    await service.accept_order(harness.db, owner, order.id)
    async with harness.signed_in(Role.STAFF) as staff:
        response = await on_page(staff, order, "cancel", reason="Out of date")
    assert response.status_code == 409
    assert f'data-attention="{order.id}"' in response.text
    assert "The order changed in the meantime: nothing was done." in response.text
    assert "data-current-status>Accepted<" in response.text
    assert await status_of(harness, order.id) == ("accepted", 2)


async def test_accepting_from_the_page_comes_back_to_the_page(harness: Harness, order: PlacedOrder) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        response = await on_page(owner, order, "accept")
        again = await on_page(owner, order, "accept")
    assert response.status_code == 303
    assert response.headers["location"] == f"/orders/{order.id}?saved=true"
    assert again.status_code == 409
    assert "“Accept” was not applied" in again.text
    assert await status_of(harness, order.id) == ("accepted", 2)


async def test_releasing_a_hold_puts_the_order_back_in_the_queue(
    harness: Harness, order: PlacedOrder
) -> None:
    order = await held(harness, order)
    async with harness.signed_in(Role.STAFF) as staff:
        queue = (await staff.get("/orders")).text
        response = await post_form(staff, f"/orders/{order.id}/release", {"version": str(order.version)})
        after = (await staff.get("/orders")).text
        page = (await staff.get(f"/orders/{order.id}")).text
    card = queue[queue.index(f'id="queue-card-{order.id}"') :]
    assert f'action="/orders/{order.id}/release"' in card
    assert ">Release hold</button>" in card
    assert response.status_code == 303
    assert response.headers["location"] == "/orders"
    assert await status_of(harness, order.id) == ("placed", 3)
    assert 'data-status="placed" data-version="3"' in after
    assert f"Sami Staff released order {order.number} from hold" in page


async def test_only_an_order_on_hold_can_be_released(harness: Harness, order: PlacedOrder) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        queue = (await staff.get("/orders")).text
        response = await post_form(staff, f"/orders/{order.id}/release", {"version": "1"})
    assert "/release" not in queue
    assert response.status_code == 409
    assert "An order in this status cannot go there." in response.text
    assert await status_of(harness, order.id) == ("placed", 1)


async def test_a_release_sent_after_the_order_changed_is_shown_as_needing_attention(
    harness: Harness, order: PlacedOrder
) -> None:
    stale = await held(harness, order)
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    await service.accept_order(harness.db, owner, order.id)
    async with harness.signed_in(Role.STAFF) as staff:
        response = await post_form(staff, f"/orders/{order.id}/release", {"version": str(stale.version)})
    assert response.status_code == 409
    assert f'data-attention="{order.id}"' in response.text
    assert "“Release hold” was not applied" in response.text
    assert "The order is no longer waiting for a decision" in response.text
    assert await status_of(harness, order.id) == ("accepted", 3)


async def test_the_same_release_sent_twice_is_applied_once(harness: Harness, order: PlacedOrder) -> None:
    order = await held(harness, order)
    async with harness.signed_in(Role.STAFF) as staff:
        for _ in range(2):
            response = await post_form(
                staff,
                f"/orders/{order.id}/release",
                {"version": str(order.version), "_idempotency_key": "release-once"},
            )
            assert response.status_code == 303
    assert response.headers.get("idempotent-replayed") == "true"
    assert await status_of(harness, order.id) == ("placed", 3)


async def test_staff_who_may_only_see_orders_get_no_forms_and_every_change_is_refused(
    harness: Harness, order: PlacedOrder
) -> None:
    staff_id = harness.users[Role.STAFF].id
    async with harness.signed_in(Role.OWNER) as owner:
        granted = await post_form(
            owner, f"/team/{staff_id}/permissions", {"permission": ["orders.view"], "version": "1"}
        )
        assert granted.status_code == 303
    async with harness.signed_in(Role.STAFF) as staff:
        page = await staff.get(f"/orders/{order.id}")
        edit = await post_form(staff, f"/orders/{order.id}/edit", {"version": "1", "action": "save"})
        refused = [
            (await on_page(staff, order, action, reason="no")).status_code
            for action in ("accept", "release", "hold", "reject", "cancel")
        ]
    assert page.status_code == 200
    assert forms_of(page.text) == set()
    assert 'id="edit-form"' not in page.text
    assert edit.status_code == 403
    assert refused == [403] * 5
    assert await status_of(harness, order.id) == ("placed", 1)


@pytest.mark.parametrize("role", [Role.DRIVER, Role.CUSTOMER])
async def test_drivers_and_customers_may_neither_edit_nor_cancel_from_the_team_pages(
    harness: Harness, order: PlacedOrder, role: Role
) -> None:
    async with harness.signed_in(role) as person:
        edit = await post_form(person, f"/orders/{order.id}/edit", {"version": "1", "action": "save"})
        cancel = await on_page(person, order, "cancel", reason="no")
        release = await on_page(person, order, "release")
    assert edit.status_code == cancel.status_code == release.status_code == 403
    assert await status_of(harness, order.id) == ("placed", 1)
