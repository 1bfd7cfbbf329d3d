"""Editing an order from its page: quantities, lines added by search or removed, the address and
the location — saved whole or not at all, over the version the person started from."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select

from backend.auth.rules import Role
from backend.orders import service
from backend.orders.drafts import WantedLine
from backend.orders.models import Order, OrderLine
from backend.orders.rules import OrderStatus
from backend.orders.views import PlacedOrder
from tests.api.conftest import Harness, post_form
from tests.api.html_attributes import attributes
from tests.api.order_fixtures import PARIS, Shop, actor_for, build_shop, draft
from tests.api.stock_fixtures import level

ADDRESS = {"line1": PARIS.line1, "postal_code": PARIS.postal_code, "city": PARIS.city, "country": "FR"}


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    return await build_shop(harness.db)


@pytest.fixture
async def order(harness: Harness, shop: Shop) -> PlacedOrder:
    """2 apples and a pear, delivered in Paris, served from the warehouse (ENT)."""
    return await service.place_order(harness.db, actor_for(Role.STAFF, harness.users[Role.STAFF].id), draft())


async def stored(harness: Harness, order_id: int) -> tuple[Order, dict[str, int]]:
    async with harness.db.read() as session:
        order = await session.get_one(Order, order_id)
        lines = await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id))
        return order, {line.sku: line.quantity for line in lines}


async def send(
    client: httpx.AsyncClient,
    order: PlacedOrder,
    lines: dict[str, object],
    action: str = "save",
    **fields: object,
) -> httpx.Response:
    data = {"version": str(order.version), **ADDRESS, "location": "ENT", "action": action, **fields}
    data |= {"sku": list(lines), "quantity": [str(quantity) for quantity in lines.values()]}
    return await post_form(client, f"/orders/{order.id}/edit", data)


async def test_the_order_page_offers_the_edit_form_filled_in_with_the_order(
    harness: Harness, order: PlacedOrder
) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        text = (await staff.get(f"/orders/{order.id}")).text
    assert 'id="edit-form"' in text
    assert f'name="version" value="{order.version}"' in text
    assert 'data-sku="APPLE"' in text
    assert 'data-sku="PEAR"' in text
    assert f'value="{PARIS.line1}"' in text
    assert '<option value="ENT" selected>' in text


async def test_the_edit_forms_search_box_says_what_to_type_and_brings_up_a_search_keyboard(
    harness: Harness, order: PlacedOrder
) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        search = attributes((await staff.get(f"/orders/{order.id}")).text, "e-term")
    assert search["placeholder"] == "SKU, barcode or name"
    assert search["type"] == "search"
    assert search["inputmode"] == "search"


async def test_changed_quantities_hold_the_stock_again_recompute_the_total_and_tell_the_diff(
    harness: Harness, shop: Shop, order: PlacedOrder
) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        response = await send(staff, order, {"APPLE": 3, "PEAR": 0})
        assert response.status_code == 303
        assert response.headers["location"] == f"/orders/{order.id}?saved=true"
        page = await staff.get(response.headers["location"])
    saved, lines = await stored(harness, order.id)
    assert lines == {"APPLE": 3}
    assert (saved.total_minor, saved.version) == (750, 2)
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 3
    assert (await level(harness.db, shop.products["PEAR"], shop.warehouse)).reserved == 0
    assert saved.address_latitude == PARIS.latitude  # the address was not touched
    assert "Saved." in page.text
    assert "APPLE: 2 → 3" in page.text
    assert "− PEAR × 1" in page.text


async def test_a_product_found_by_search_is_added_to_the_form_and_held_once_saved(
    harness: Harness, shop: Shop, order: PlacedOrder
) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        added = await send(owner, order, {"APPLE": 2, "PEAR": 1}, "add", term="plum")
        several = await send(owner, order, {"APPLE": 2, "PEAR": 1}, "add", term="p")
        nothing = await send(owner, order, {"APPLE": 2, "PEAR": 1}, "add", term="durian")
        assert (await stored(harness, order.id))[1] == {"APPLE": 2, "PEAR": 1}  # searching saves nothing
        saved = await send(owner, order, {"APPLE": 2, "PEAR": 1, "PLUM": 1})
    assert added.status_code == 200
    assert 'data-sku="PLUM"' in added.text
    assert 'id="order-edit" open' in added.text
    assert several.status_code == 200
    assert 'value="add:PLUM"' in several.text
    assert 'value="add:APPLE"' in several.text
    assert nothing.status_code == 400
    assert "No product for sale matches “durian”." in nothing.text
    assert saved.status_code == 303
    assert (await stored(harness, order.id))[1] == {"APPLE": 2, "PEAR": 1, "PLUM": 1}
    assert (await level(harness.db, shop.products["PLUM"], shop.warehouse)).reserved == 1


async def test_the_remove_button_takes_the_line_out_of_the_form_only(
    harness: Harness, order: PlacedOrder
) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        response = await send(staff, order, {"APPLE": 2, "PEAR": 1}, "remove:PEAR")
    assert response.status_code == 200
    form = response.text[response.text.index('id="edit-lines"') :]
    assert 'data-sku="APPLE"' in form
    assert 'data-sku="PEAR"' not in form
    assert (await stored(harness, order.id))[1] == {"APPLE": 2, "PEAR": 1}


async def test_a_new_address_replaces_the_old_one_and_its_coordinates(
    harness: Harness, order: PlacedOrder
) -> None:
    new = {"line1": "8 rue Oberkampf", "postal_code": "75011", "city": "Paris", "country": "fr"}
    async with harness.signed_in(Role.STAFF) as staff:
        response = await send(staff, order, {"APPLE": 2, "PEAR": 1}, **new)
        page = await staff.get(f"/orders/{order.id}")
    assert response.status_code == 303
    saved, _ = await stored(harness, order.id)
    assert (saved.address_line1, saved.address_postal_code, saved.address_country) == (
        "8 rue Oberkampf",
        "75011",
        "FR",
    )
    assert saved.address_latitude is None
    assert "address: 1 rue de Rivoli, 75001 Paris, FR → 8 rue Oberkampf, 75011 Paris, FR" in page.text


async def test_another_location_holds_the_stock_there_or_names_the_lines_it_lacks(
    harness: Harness, shop: Shop, order: PlacedOrder
) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        short = await send(staff, order, {"APPLE": 2, "PEAR": 1}, location="BTQ")
        assert short.status_code == 409
        assert (await stored(harness, order.id))[0].version == 1
        moved = await send(staff, order, {"APPLE": 2, "PEAR": 0}, location="BTQ")
    assert "Only 0 left of PEAR at BTQ." in short.text
    assert 'data-sku="PEAR"' in short.text  # the form keeps what was typed
    assert moved.status_code == 303
    saved, lines = await stored(harness, order.id)
    assert (saved.location_id, lines) == (shop.boutique, {"APPLE": 2})
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 0
    assert (await level(harness.db, shop.products["APPLE"], shop.boutique)).reserved == 2
    assert (await level(harness.db, shop.products["PEAR"], shop.warehouse)).reserved == 0


async def test_more_than_the_stock_names_the_short_line_and_changes_nothing(
    harness: Harness, shop: Shop, order: PlacedOrder
) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        response = await send(staff, order, {"APPLE": 2, "PEAR": 1, "PLUM": 4})
    assert response.status_code == 409
    assert "Only 3 left of PLUM at ENT." in response.text
    assert (await stored(harness, order.id))[1] == {"APPLE": 2, "PEAR": 1}
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 2
    assert (await level(harness.db, shop.products["PLUM"], shop.warehouse)).reserved == 0


async def test_an_edit_made_on_an_older_version_is_not_saved_and_shows_the_order_as_it_is_now(
    harness: Harness, order: PlacedOrder
) -> None:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    lines = [WantedLine("APPLE", 5), WantedLine("PEAR", 1)]
    await service.edit_order(harness.db, owner, order.id, service.OrderEdit(lines=lines))
    async with harness.signed_in(Role.STAFF) as staff:
        stale = await send(staff, order, {"APPLE": 1, "PEAR": 1})  # read before the owner's change
        assert (await stored(harness, order.id))[1] == {"APPLE": 5, "PEAR": 1}
        mine = await send(staff, replace(order, version=2), {"APPLE": 1, "PEAR": 1})
    assert stale.status_code == 409
    assert "data-conflict" in stale.text
    assert "Someone else changed this order" in stale.text
    assert "5 × Apple" in stale.text  # the order as it is now
    form = stale.text[stale.text.index('id="edit-form"') :]
    assert 'name="version" value="2"' in form  # saving again is a choice made seeing both
    assert 'value="1" class="count-row__input"' in form  # what the person typed is kept
    assert mine.status_code == 303
    assert (await stored(harness, order.id))[1] == {"APPLE": 1, "PEAR": 1}


async def test_an_edit_of_an_order_cancelled_meanwhile_is_refused_without_offering_to_save_it_again(
    harness: Harness, shop: Shop, order: PlacedOrder
) -> None:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    await service.cancel_order(harness.db, owner, order.id, "The customer called it off")
    async with harness.signed_in(Role.STAFF) as staff:
        response = await send(staff, order, {"APPLE": 3, "PEAR": 1})
    assert response.status_code == 409
    assert "The order changed in the meantime: nothing was done." in response.text
    assert "data-current-status>Cancelled<" in response.text
    assert "data-conflict" not in response.text
    assert 'id="edit-form"' not in response.text
    assert (await stored(harness, order.id))[0].status == "cancelled"
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 0


@pytest.mark.parametrize(
    ("lines", "fields", "message"),
    [
        ({"APPLE": "two", "PEAR": 1}, {}, "A quantity is a whole number."),
        ({"APPLE": -1, "PEAR": 1}, {}, "A quantity is a whole number."),
        ({"APPLE": 20000, "PEAR": 1}, {}, "A line holds at most 10,000 units."),
        ({"APPLE": 0, "PEAR": 0}, {}, "The order has no lines."),
        ({"APPLE": 2, "PEAR": 1}, {}, "The change is empty."),
        ({"APPLE": 2, "PEAR": 1}, {"city": ""}, "Fill in every line of the address."),
        ({"APPLE": 2, "PEAR": 1}, {"country": "France"}, "The country is a two-letter code, such as FR."),
        ({"APPLE": 2, "PEAR": 1}, {"location": "NOWHERE"}, "No location has this code."),
        ({"APPLE": 2, "PEAR": 1}, {"version": "x"}, "The form is out of date."),
        ({"APPLE": 2, "PEAR": 1}, {"action": "fly"}, "Some information is not valid"),
    ],
)
async def test_bad_edits_are_explained_on_the_form_and_nothing_is_written(
    harness: Harness,
    shop: Shop,
    order: PlacedOrder,
    lines: dict[str, object],
    fields: dict[str, str],
    message: str,
) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        response = await send(staff, order, lines, **fields)
    assert response.status_code == 400
    assert message in response.text
    assert 'id="order-edit" open' in response.text
    saved, kept = await stored(harness, order.id)
    assert (saved.version, kept) == (1, {"APPLE": 2, "PEAR": 1})
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 2


async def test_a_field_at_fault_is_marked_beside_its_input(harness: Harness, order: PlacedOrder) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        response = await send(staff, order, {"APPLE": 2, "PEAR": 1}, city="")
    assert 'id="e-city" name="city" value=""' in response.text
    assert 'aria-describedby="e-city-error"' in response.text


async def test_once_picking_has_started_the_order_can_no_longer_be_edited(
    harness: Harness, order: PlacedOrder
) -> None:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    await service.accept_order(harness.db, owner, order.id)
    picking = await service.transition_order(harness.db, owner, order.id, OrderStatus.PICKING)
    async with harness.signed_in(Role.STAFF) as staff:
        page = await staff.get(f"/orders/{order.id}")
        response = await send(staff, replace(order, version=picking.version), {"APPLE": 3, "PEAR": 1})
    assert 'id="edit-form"' not in page.text
    assert response.status_code == 409
    assert "Picking has started: the order can no longer be changed." in response.text
    assert (await stored(harness, order.id))[1] == {"APPLE": 2, "PEAR": 1}


async def test_the_same_save_sent_twice_is_applied_once(harness: Harness, order: PlacedOrder) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        first = await send(staff, order, {"APPLE": 3, "PEAR": 1}, _idempotency_key="edit-once")
        again = await send(staff, order, {"APPLE": 3, "PEAR": 1}, _idempotency_key="edit-once")
    assert first.status_code == again.status_code == 303
    assert again.headers.get("idempotent-replayed") == "true"
    saved, lines = await stored(harness, order.id)
    assert (saved.version, lines) == (2, {"APPLE": 3, "PEAR": 1})


async def test_a_pickup_order_has_no_address_to_edit_and_only_pickup_points_to_move_to(
    harness: Harness, shop: Shop
) -> None:
    staff_actor = actor_for(Role.STAFF, harness.users[Role.STAFF].id)
    pickup = await service.place_order(
        harness.db, staff_actor, draft(fulfilment_mode="pickup", address=None, lines=[WantedLine("APPLE", 1)])
    )
    async with harness.signed_in(Role.STAFF) as staff:
        text = (await staff.get(f"/orders/{pickup.id}")).text
        response = await post_form(
            staff,
            f"/orders/{pickup.id}/edit",
            {"version": "1", "location": "BTQ", "sku": "APPLE", "quantity": "2", "action": "save"},
        )
    form = text[text.index('id="edit-form"') :]
    assert 'name="line1"' not in form
    assert '<option value="BTQ"' in form
    assert '<option value="ENT"' not in form
    assert response.status_code == 303
    assert (await stored(harness, pickup.id))[1] == {"APPLE": 2}
