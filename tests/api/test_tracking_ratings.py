"""Customers rate a delivered or collected order from its tracking page: 1 to 5 stars and a
comment, one rating per order which they may change while the link works (the version they saw
is checked); owners read it on the order's page and in the ratings list, with the average."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.kernel.events import Event
from backend.orders.models import OrderRating
from backend.orders.views import PlacedOrder
from tests.api import tracking_fixtures as stages
from tests.api.conftest import Harness, post_form
from tests.api.order_fixtures import Shop, build_shop


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    return await build_shop(harness.db)


async def delivered(harness: Harness, **changes: object) -> PlacedOrder:
    order = await stages.placed(harness, **changes)
    run_id = await stages.out_for_delivery(harness, order)
    await stages.dropped_off(harness, run_id, order)
    return order


async def rate(client, order: PlacedOrder, stars: str, comment: str = "", version: str = "0"):
    data = {"stars": stars, "comment": comment, "version": version}
    return await post_form(client, f"/t/{order.tracking_token}/rating", data)


async def rating_count(harness: Harness) -> int:
    async with harness.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(OrderRating)) or 0)


async def test_an_order_not_yet_received_cannot_be_rated_and_shows_no_form(
    harness: Harness, shop: Shop
) -> None:
    order = await stages.placed(harness)
    async with harness.client() as client:
        page = await client.get(f"/t/{order.tracking_token}")
        refused = await rate(client, order, "5")
    assert 'id="rating-form"' not in page.text
    assert refused.status_code == 409
    assert "You can rate your order once you have it." in refused.text
    assert await rating_count(harness) == 0


async def test_the_customer_rates_once_then_changes_it_and_the_shop_sees_the_latest(
    harness: Harness, shop: Shop
) -> None:
    order = await delivered(harness)
    async with harness.client() as client:
        page = await client.get(f"/t/{order.tracking_token}")
        bad = await rate(client, order, "6", "x" * 1001)
        first = await rate(client, order, "2", "Late and the box was wet")
        thanked = await client.get(first.headers["location"])
        twice = await rate(client, order, "5", "Ignored: made on the old version")
        changed = await rate(client, order, "4", "The shop called and made it right", "1")
    assert 'id="rating-form"' in page.text
    assert bad.status_code == 400
    assert "Choose from 1 to 5 stars." in bad.text
    assert "Keep your comment under 1,000 characters." in bad.text
    assert first.status_code == 303
    assert first.headers["location"].endswith("?rated=1#rating")
    assert 'data-stars="2"' in thanked.text
    assert "Thank you!" in thanked.text
    assert twice.status_code == 409
    assert "Your rating was changed meanwhile" in twice.text
    assert changed.status_code == 303
    async with harness.db.read() as session:
        saved = await session.get_one(OrderRating, order.id)
        rated = list(
            await session.scalars(select(Event).where(Event.type == "order.rated").order_by(Event.id))
        )
    assert (saved.stars, saved.comment, saved.version) == (4, "The shop called and made it right", 2)
    assert [(e.data["stars"], e.data.get("changed")) for e in rated] == [(2, False), (4, True)]
    async with harness.signed_in(Role.OWNER) as owner:
        order_page = await owner.get(f"/orders/{order.id}")
        listed = await owner.get("/orders/ratings")
    assert 'id="order-rating" data-stars="4"' in order_page.text
    assert "The shop called and made it right" in order_page.text
    assert "The customer changed their rating of order" in order_page.text  # on the timeline
    assert f'data-order="{order.id}" data-stars="4"' in listed.text


async def test_the_ratings_list_gives_the_average_and_filters_by_stars(harness: Harness, shop: Shop) -> None:
    orders = [await delivered(harness) for _ in range(3)]
    async with harness.client() as client:
        for order, stars in zip(orders, ("5", "4", "1"), strict=True):
            assert (await rate(client, order, stars)).status_code == 303
    async with harness.signed_in(Role.OWNER) as owner:
        listed = await owner.get("/orders/ratings")
        ones = await owner.get("/orders/ratings?stars=1")
        junk = await owner.get("/orders/ratings?stars=9")
    assert 'data-average="3.33"' in listed.text
    assert "3.3 out of 5" in listed.text
    assert len(re.findall(r'data-order="\d+" data-stars', listed.text)) == 3
    assert re.findall(r'data-order="(\d+)" data-stars', ones.text) == [str(orders[2].id)]
    assert junk.status_code == 200
    assert len(re.findall(r'data-order="\d+" data-stars', junk.text)) == 3
    async with harness.signed_in(Role.CUSTOMER) as customer:
        assert (await customer.get("/orders/ratings")).status_code == 403


async def test_a_collected_order_is_rated_from_my_orders_by_its_own_customer_only(
    harness: Harness, shop: Shop
) -> None:
    from backend.fulfilment import service as fulfilment
    from backend.fulfilment.rules import pickup_key

    mine = await stages.placed(harness, own=True, fulfilment_mode="pickup", address=None, location="BTQ")
    code = await stages.ready_for_pickup(harness, mine)
    key = pickup_key(harness.settings.secret_key)
    await harness.db.run(fulfilment.collect, stages.staff(harness), key, mine.id, code)
    other = await delivered(harness)
    async with harness.signed_in(Role.CUSTOMER) as customer:
        own = await post_form(customer, f"/my/orders/{mine.id}/rating", {"stars": "5", "version": "0"})
        theirs = await post_form(customer, f"/my/orders/{other.id}/rating", {"stars": "1", "version": "0"})
    assert own.status_code == 303
    assert own.headers["location"] == f"/my/orders/{mine.id}?rated=1#rating"
    assert theirs.status_code == 404
    assert await rating_count(harness) == 1
