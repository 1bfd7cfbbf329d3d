"""The tracking page, by its link and without an account: private (never cached, indexed or sent
on as a referrer), hashed links that stop working some days after the order is done, one link
one order, the steps of each mode, and what each stage adds (pickup code, parcel link, the
driver's way, the photo at the door)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from sqlalchemy import select, text

from backend.auth.rules import Role
from backend.orders import service as orders
from backend.orders.models import Order
from tests.api import tracking_fixtures as stages
from tests.api.conftest import Harness
from tests.api.html_attributes import attributes
from tests.api.order_fixtures import Shop, build_shop


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    return await build_shop(harness.db)


def steps_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-step="([a-z_.]+)" data-state="([a-z]+)"', html)


async def test_the_page_is_private_never_stored_indexed_or_given_as_referrer(
    harness: Harness, shop: Shop
) -> None:
    order = await stages.placed(harness)
    async with harness.client() as client:
        page = await client.get(f"/t/{order.tracking_token}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in page.text


async def test_links_carry_at_least_128_bits_and_only_their_hash_is_stored(
    harness: Harness, shop: Shop
) -> None:
    order = await stages.placed(harness)
    token = order.tracking_token
    assert len(token) * 6 >= 128
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    async with harness.db.read() as session:
        stored = await session.scalar(select(Order.tracking_token_hash).where(Order.id == order.id))
        dumped = " ".join(str(v) for v in (await session.execute(text("SELECT * FROM orders"))).one())
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in dumped
    async with harness.client() as client:
        assert (await client.get(f"/t/{stored}")).status_code == 404  # the hash is no link


async def test_a_link_shows_its_own_order_and_no_other(harness: Harness, shop: Shop) -> None:
    mine = await stages.placed(harness)
    other = await stages.placed(harness)
    async with harness.client() as client:
        page = await client.get(f"/t/{mine.tracking_token}")
        unknown = await client.get(f"/t/{mine.tracking_token[:-2]}xx")
        proof = await client.get(f"/t/{mine.tracking_token[:-2]}xx/proof")
    assert mine.number in page.text
    assert other.number not in page.text
    assert unknown.status_code == proof.status_code == 404


async def test_a_link_stops_working_the_set_number_of_days_after_the_order_is_done(
    harness: Harness, shop: Shop
) -> None:
    await stages.set_tracking_days(harness, 7)
    running = await stages.placed(harness)
    done = await stages.placed(harness)
    await orders.cancel_order(harness.db, stages.staff(harness), done.id, "Out of season")
    await stages.done_days_ago(harness, done.id, 6)
    await stages.done_days_ago(harness, running.id, 60)  # not done: still works
    async with harness.client() as client:
        still = await client.get(f"/t/{done.tracking_token}")
        await stages.done_days_ago(harness, done.id, 2)
        gone = await client.get(f"/t/{done.tracking_token}")
        rate = await client.post(f"/t/{done.tracking_token}/rating", data={"stars": "5"})
        working = await client.get(f"/t/{running.tracking_token}")
    assert still.status_code == 200
    assert working.status_code == 200
    assert gone.status_code == 410
    assert "This tracking link no longer works" in gone.text
    assert gone.headers["cache-control"] == "no-store"
    assert done.number not in gone.text
    assert rate.status_code in (403, 410)  # refused either way: no CSRF token, or gone


async def test_an_expired_link_opens_no_live_socket(harness: Harness, shop: Shop) -> None:
    """The socket is opened only for the order a working link names (else closed with 4404)."""
    from backend.storefront import tracking

    await stages.set_tracking_days(harness, 1)
    done = await stages.placed(harness)
    await orders.cancel_order(harness.db, stages.staff(harness), done.id, "Gone")
    async with harness.db.read() as session:
        before = await tracking.tracked_order_id(session, done.tracking_token)
    await stages.done_days_ago(harness, done.id, 2)
    async with harness.db.read() as session:
        after = await tracking.tracked_order_id(session, done.tracking_token)
    assert (before, after) == (done.id, None)


async def test_the_steps_of_a_delivery_order_each_with_its_time(harness: Harness, shop: Shop) -> None:
    order = await stages.placed(harness)
    async with harness.client() as client:
        fresh = steps_of((await client.get(f"/t/{order.tracking_token}")).text)
        await stages.packed(harness, order)
        packed = await client.get(f"/t/{order.tracking_token}")
    assert fresh == [
        ("order.placed", "current"),
        ("order.accepted", "todo"),
        ("order.packed", "todo"),
        ("order.out_for_delivery", "todo"),
        ("order.delivered", "todo"),
    ]
    assert [state for _, state in steps_of(packed.text)] == ["done", "done", "current", "todo", "todo"]
    assert packed.text.count('<time class="muted"') == 3  # placed, accepted, packed: each when


async def test_a_pickup_order_shows_its_code_and_qr_while_it_waits(harness: Harness, shop: Shop) -> None:
    order = await stages.placed(harness, fulfilment_mode="pickup", address=None, location="BTQ")
    code = await stages.ready_for_pickup(harness, order)
    async with harness.client() as client:
        page = await client.get(f"/t/{order.tracking_token}")
    assert [kind for kind, _ in steps_of(page.text)][-2:] == ["order.ready_for_pickup", "order.picked_up"]
    assert f'id="pickup-code">{code}<' in page.text
    assert 'class="pickup-code__qr" src="data:image/svg+xml' in page.text


async def test_a_shipped_order_links_to_the_carriers_page_for_its_parcel(
    harness: Harness, shop: Shop
) -> None:
    order = await stages.placed(harness, fulfilment_mode="shipping")
    await stages.shipped(harness, order, "6A12345678901")
    async with harness.client() as client:
        page = await client.get(f"/t/{order.tracking_token}")
    link = re.search(r'href="([^"]+)" rel="noreferrer noopener" target="_blank" id="carrier-link"', page.text)
    assert link is not None
    assert "6A12345678901" in link.group(1)
    assert link.group(1).startswith("https://")
    assert [kind for kind, _ in steps_of(page.text)][3] == "order.shipped"


async def test_out_for_delivery_the_window_the_stops_before_and_the_driver_only_on_the_way_to_it(
    harness: Harness, shop: Shop
) -> None:
    from tests.api.order_fixtures import LYON

    first = await stages.placed(harness)
    second = await stages.placed(harness, address=LYON)
    run_id = await stages.out_for_delivery(harness, first, second)
    await stages.at_position(harness, run_id, 48.8571, 2.3512)
    async with harness.client() as client:
        waiting = (await client.get(f"/t/{second.tracking_token}")).text
        next_one = (await client.get(f"/t/{first.tracking_token}")).text
        await stages.dropped_off(harness, run_id, first)
        now_next = (await client.get(f"/t/{second.tracking_token}")).text
    first_stops = re.search(r'data-stops-before="(\d+)"', next_one)
    waiting_stops = re.search(r'data-stops-before="(\d+)"', waiting)
    assert first_stops
    assert waiting_stops
    assert {first_stops.group(1), waiting_stops.group(1)} == {"0", "1"}
    ahead, behind = (next_one, waiting) if first_stops.group(1) == "0" else (waiting, next_one)
    assert "Expected between" in ahead
    assert "Your driver: Dani" in ahead
    assert "Driver" not in behind.split("on-the-way")[1].split("</section>")[0].replace("Your driver", "")
    assert "data-driver-map" in ahead
    assert "data-driver-map" not in behind
    # On the map (its markers) and in words, the driver's position reaches only the next stop's page.
    markers = json.loads(attributes(ahead, "driver-map-canvas")["data-markers"] or "")
    assert markers == [{"lat": 48.8571, "lon": 2.3512, "label": "Dani", "driver": True}]
    assert not any(part in behind for part in ("48.857", "2.351", "data-markers", "driver-map-canvas"))
    assert "Dani Driver" not in ahead  # the first name only
    if behind is waiting:
        assert 'data-stops-before="0"' in now_next
        assert "data-driver-map" in now_next


async def test_after_the_drop_off_the_photo_is_served_to_that_order_link_only(
    harness: Harness, shop: Shop
) -> None:
    mine = await stages.placed(harness)
    other = await stages.placed(harness)
    run_id = await stages.out_for_delivery(harness, mine)
    digest = await stages.dropped_off(harness, run_id, mine)
    async with harness.client() as client:
        page = await client.get(f"/t/{mine.tracking_token}")
        photo = await client.get(f"/t/{mine.tracking_token}/proof")
        none = await client.get(f"/t/{other.tracking_token}/proof")
        by_hash = await client.get(f"/t/{other.tracking_token}/proof?hash={digest}")
    assert 'src="/t/' + mine.tracking_token + '/proof"' in page.text
    assert photo.status_code == 200
    assert photo.headers["content-type"].startswith("image/")
    assert photo.headers["cache-control"] == "private, no-store"
    assert photo.headers["referrer-policy"] == "no-referrer"
    assert hashlib.sha256(photo.content).hexdigest() == digest
    assert none.status_code == by_hash.status_code == 404


async def test_the_tracking_socket_hears_the_run_of_its_order(harness: Harness, shop: Shop) -> None:
    from backend.kernel.events import Event
    from backend.storefront.web.tracking_live import run_topic, track_topic

    order = await stages.placed(harness)
    run_id = await stages.out_for_delivery(harness, order)
    await stages.at_position(harness, run_id, 48.85, 2.35)
    live = harness.app.state.site.live
    async with harness.db.read() as session:
        position = await session.scalar(select(Event).where(Event.type == "delivery.position"))
        moved = await session.scalar(select(Event).where(Event.type == "order.out_for_delivery"))
    assert position is not None
    assert moved is not None
    assert run_topic(run_id) in live.topics_for(position)
    assert track_topic(order.id) in live.topics_for(moved)


async def test_the_owner_sets_how_long_links_work_in_the_shop_settings(harness: Harness, shop: Shop) -> None:
    from tests.api.conftest import post_form

    form = {"name": "Comptoir", "currency": "EUR", "timezone": "Europe/Paris", "default_locale": "en"}
    async with harness.signed_in(Role.OWNER) as owner:
        page = await owner.get("/settings")
        version = re.search(r'name="version" value="(\d+)"', page.text)
        assert version is not None
        wrong = await post_form(
            owner, "/settings", {**form, "version": version.group(1), "tracking_days": "0"}
        )
        saved = await post_form(
            owner, "/settings", {**form, "version": version.group(1), "tracking_days": "3"}
        )
        without = await post_form(owner, "/settings", {**form, "version": str(int(version.group(1)) + 1)})
        after = await owner.get("/settings")
    assert 'name="tracking_days"' in page.text
    assert 'value="30"' in page.text
    assert wrong.status_code == 400
    assert "Give a number of days from 1 to 365." in wrong.text
    assert saved.status_code == without.status_code == 303
    assert 'id="f-tracking_days" name="tracking_days"' in after.text
    assert re.search(r'name="tracking_days"[^>]*value="3"', after.text)
    order = await stages.placed(harness)
    await orders.cancel_order(harness.db, stages.staff(harness), order.id, "Gone")
    await stages.done_days_ago(harness, order.id, 4)
    async with harness.client() as client:
        assert (await client.get(f"/t/{order.tracking_token}")).status_code == 410
