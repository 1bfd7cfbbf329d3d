"""The fulfilment pages on both engines: to pick, a batch walked by scans and taps (a wrong product
refused), a short pick, packing from the list, the packing slip (page and PDF), ready for pickup
and the counter (a wrong code, the QR's text, the lockout), shipping, the ready-for-delivery
list, the carriers' settings, the board, and the customer's pickup code on the storefront."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.fulfilment import rules
from backend.fulfilment.board import pickup_code_of
from backend.inventory.models import StockMovement
from backend.kernel.events import Event
from backend.orders import service as orders
from backend.orders.drafts import WantedLine
from backend.orders.models import Order
from tests.api.conftest import Harness, post_form
from tests.api.html_attributes import attributes
from tests.api.order_fixtures import actor_for, build_shop, draft

SEARCHING = "Ada"


@pytest.fixture
async def shop(harness: Harness):
    return await build_shop(harness.db)


async def accepted(harness: Harness, **changes: object) -> int:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    placed = await orders.place_order(harness.db, owner, draft(**changes))
    return (await orders.accept_order(harness.db, owner, placed.id)).id


def versions(page: str) -> list[str]:
    return re.findall(r'name="order" value="(\d+:\d+)"', page)


async def start(client, location: int, chosen: list[str]) -> str:
    response = await post_form(client, "/fulfilment/batches", {"location": location, "order": chosen})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_a_batch_is_picked_by_scans_and_taps_and_packed_from_the_list(harness: Harness, shop) -> None:
    first = await accepted(harness, fulfilment_mode="shipping")
    second = await accepted(harness, lines=[WantedLine("APPLE", 1), WantedLine("PLUM", 1)])
    async with harness.signed_in(Role.STAFF) as client:
        to_pick = await client.get(f"/fulfilment/pick?location={shop.warehouse}")
        assert to_pick.status_code == 200
        chosen = versions(to_pick.text)
        assert len(chosen) == 2
        batch = await start(client, shop.warehouse, chosen)
        page = await client.get(batch)
        assert page.status_code == 200
        assert page.text.index('data-sku="APPLE"') < page.text.index(
            'data-sku="PEAR"'
        )  # by SKU, no shelves said
        wrong = await post_form(client, f"{batch}/scan", {"code": "NOPE-123", "quantity": "1"})
        assert wrong.status_code == 422
        assert "This product is not on any order of this batch." in wrong.text
        assert "data-wrong-scan" in wrong.text
        for code, quantity in (("apple", "2"), ("APPLE", "1"), ("PEAR", ""), ("PLUM", "1")):
            scanned = await post_form(client, f"{batch}/scan", {"code": code, "quantity": quantity})
            assert scanned.status_code == 303, (code, scanned.text)
        done = await post_form(client, f"{batch}/scan", {"code": "APPLE", "quantity": "1"})
        assert done.status_code == 422
        assert "already picked" in done.text
        for order_id in (first, second):
            packed = await post_form(
                client,
                f"/fulfilment/orders/{order_id}/pack",
                {"parcels": "1", "weight_g": "900", "batch": batch.rsplit("/", 1)[1]},
            )
            assert packed.status_code == 303, packed.text
        shown = await client.get(f"/fulfilment/orders/{first}")
        assert "Mark as shipped" in shown.text
        long_number = await post_form(
            client, f"/fulfilment/orders/{first}/ship", {"carrier": "colissimo", "tracking_number": "X" * 200}
        )
        assert long_number.status_code == 422
        assert "at most 100 characters" in long_number.text
        empty = await post_form(
            client, f"/fulfilment/orders/{first}/ship", {"carrier": "colissimo", "tracking_number": " "}
        )
        assert empty.status_code == 422
        assert "Enter the tracking number." in empty.text
        shipped = await post_form(
            client, f"/fulfilment/orders/{first}/ship", {"carrier": "colissimo", "tracking_number": "6A1"}
        )
        assert shipped.status_code == 303
        ready_list = await client.get("/fulfilment/delivery")
        assert ready_list.status_code == 200
        assert 'id="ready-for-delivery"' in ready_list.text
        board = await client.get("/fulfilment")
        assert board.status_code == 200
        assert 'data-count="shipped_today">1<' in board.text


async def test_a_tap_more_than_ordered_and_a_short_pick(harness: Harness, shop) -> None:
    order_id = await accepted(harness)
    async with harness.signed_in(Role.STAFF) as client:
        chosen = versions((await client.get("/fulfilment/pick")).text)
        batch = await start(client, shop.warehouse, chosen)
        batch_id = batch.rsplit("/", 1)[1]
        too_many = await post_form(
            client,
            f"/fulfilment/orders/{order_id}/picked",
            {"batch": batch_id, "sku": "APPLE", "quantity": "3"},
        )
        assert too_many.status_code == 422
        assert "more than the order asks for" in too_many.text
        short = await post_form(
            client, f"/fulfilment/orders/{order_id}/short", {"batch": batch_id, "sku": "APPLE", "found": "1"}
        )
        assert short.status_code == 303
        page = await client.get(short.headers["location"])
        assert "on hold" in page.text
        assert "data-conflict" in page.text  # no longer being picked: not to be picked


async def test_slips_pickup_and_the_counter(harness: Harness, shop) -> None:
    order_id = await accepted(harness, fulfilment_mode="pickup", address=None, lines=[WantedLine("APPLE", 2)])
    async with harness.signed_in(Role.STAFF) as client:
        chosen = versions((await client.get(f"/fulfilment/pick?location={shop.boutique}")).text)
        batch = await start(client, shop.boutique, chosen)
        await post_form(client, f"{batch}/scan", {"code": "APPLE", "quantity": "2"})
        page = await client.get(f"/fulfilment/orders/{order_id}")
        version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
        packed = await post_form(
            client,
            f"/fulfilment/orders/{order_id}/pack",
            {"parcels": "1", "weight_g": "400", "version": version},
        )
        assert packed.status_code == 303
        slip = await client.get(f"/fulfilment/orders/{order_id}/slip")
        assert slip.status_code == 200
        assert "<svg" in slip.text
        assert "Apple" in slip.text
        assert "€" not in slip.text
        assert "2.50" not in slip.text
        pdf = await client.get(f"/fulfilment/orders/{order_id}/slip.pdf")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        version = re.search(
            r'name="version" value="(\d+)"', (await client.get(f"/fulfilment/orders/{order_id}")).text
        ).group(1)
        ready = await post_form(client, f"/fulfilment/orders/{order_id}/ready", {"version": version})
        assert ready.status_code == 303
        async with harness.db.read() as session:
            code = await pickup_code_of(session, rules.pickup_key(harness.settings.secret_key), order_id)
        counter = await client.get(f"/fulfilment/counter?q={SEARCHING}")
        assert f'name="order" value="{order_id}"' in counter.text
        wrong = "000000" if code != "000000" else "111111"
        refused = await post_form(client, "/fulfilment/counter", {"order": str(order_id), "code": wrong})
        assert refused.status_code == 422
        assert "4 tries left" in refused.text
        no_order = await post_form(client, "/fulfilment/counter", {"code": code})
        assert no_order.status_code == 422
        assert "Choose the order first" in no_order.text
        async with harness.db.read() as session:
            number = await session.scalar(select(Order.number).where(Order.id == order_id))
        handed = await post_form(client, "/fulfilment/counter", {"code": f"{number}/{code}"})
        assert handed.status_code == 303, handed.text
        shown = await client.get(handed.headers["location"])
        assert f"Order {number} was handed over." in shown.text
        twice = await post_form(client, "/fulfilment/counter", {"order": str(order_id), "code": code})
        assert twice.status_code == 409


async def _ready_at_the_boutique(harness: Harness, client, shop) -> int:
    order_id = await accepted(harness, fulfilment_mode="pickup", address=None, lines=[WantedLine("APPLE", 2)])
    to_pick = await client.get(f"/fulfilment/pick?location={shop.boutique}")
    mine = [seen for seen in versions(to_pick.text) if seen.startswith(f"{order_id}:")]
    batch = await start(client, shop.boutique, mine)
    await post_form(client, f"{batch}/scan", {"code": "APPLE", "quantity": "2"})
    packed = await post_form(
        client, f"/fulfilment/orders/{order_id}/pack", {"parcels": "1", "weight_g": "400"}
    )
    assert packed.status_code == 303, packed.text
    ready = await post_form(client, f"/fulfilment/orders/{order_id}/ready", {})
    assert ready.status_code == 303, ready.text
    return order_id


async def _handed_over(harness: Harness, order_id: int) -> tuple[str, int, list[tuple[int | None, dict]]]:
    """(status, units sold, identity checks as (actor, data)) of the order."""
    async with harness.db.read() as session:
        status = await session.scalar(select(Order.status).where(Order.id == order_id))
        sold = await session.scalar(
            select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                StockMovement.reference == f"order:{order_id}", StockMovement.kind == "sale"
            )
        )
        checks = await session.execute(
            select(Event.actor_id, Event.data).where(
                Event.subject == f"order:{order_id}", Event.type == "order.pickup_identity_checked"
            )
        )
        return status, -sold, [(actor, data) for actor, data in checks]


def _identity(order_id: int, **changes: str) -> dict[str, str]:
    return {
        "order": str(order_id),
        "location": "BTQ",
        "identity_checked": "on",
        "identity_note": " ID  card ",
        **changes,
    }


def _typed(page: str, order_id: int) -> tuple[bool, str]:
    """The order's identity check as the counter page fills it in: (box ticked, document shown)."""
    box = attributes(page, f"checked-{order_id}")
    return "checked" in box, attributes(page, f"shown-{order_id}").get("value") or ""


async def test_the_counter_hands_an_order_over_on_an_identity_check(harness: Harness, shop) -> None:
    async with harness.signed_in(Role.STAFF) as client:
        order_id = await _ready_at_the_boutique(harness, client, shop)
        for search in ("ada lov", "ADA@example", "06 12 34 56", "+33 6 12"):
            found = await client.get("/fulfilment/counter", params={"q": search, "location": "BTQ"})
            assert 'action="/fulfilment/counter/identity"' in found.text
            assert f'name="order" value="{order_id}"' in found.text, search
        elsewhere = await client.get("/fulfilment/counter", params={"q": "Ada", "location": "ENT"})
        assert f'name="order" value="{order_id}"' not in elsewhere.text
        default = await client.get("/fulfilment/counter")  # the pickup point's counter
        assert '<option value="BTQ" selected>' in default.text
        unticked = await post_form(
            client, "/fulfilment/counter/identity", _identity(order_id, identity_checked="")
        )
        assert unticked.status_code == 422
        assert "Check the customer&#39;s identity document, then tick the box." in unticked.text
        assert '<details class="counter__identity" open>' in unticked.text
        # A refused check is filled in again as it was typed: only the faulty part is to change.
        assert _typed(unticked.text, order_id) == (False, "ID  card")
        assert attributes(unticked.text, f"checked-{order_id}").get("aria-invalid") == "true"
        unnamed = await post_form(
            client, "/fulfilment/counter/identity", _identity(order_id, identity_note=" ")
        )
        assert unnamed.status_code == 422
        assert "Say which document was shown" in unnamed.text
        assert _typed(unnamed.text, order_id) == (True, "")
        assert attributes(unnamed.text, f"shown-{order_id}").get("aria-invalid") == "true"
        too_long = await post_form(
            client, "/fulfilment/counter/identity", _identity(order_id, identity_note="x" * 101)
        )
        assert too_long.status_code == 422
        assert _typed(too_long.text, order_id) == (True, "x" * 101)
        fresh = await client.get("/fulfilment/counter", params={"location": "BTQ"})
        assert _typed(fresh.text, order_id) == (False, "")  # nothing refused: an empty form
        wrong_counter = await post_form(
            client, "/fulfilment/counter/identity", _identity(order_id, location="ENT")
        )
        assert wrong_counter.status_code == 422
        assert "This order is served from another location." in wrong_counter.text
        no_counter = await post_form(
            client, "/fulfilment/counter/identity", _identity(order_id, location="MARS")
        )
        assert no_counter.status_code == 422
        assert await _handed_over(harness, order_id) == ("ready_for_pickup", 0, [])
        form = {**_identity(order_id), "_idempotency_key": "counter-tap-1"}
        handed = await post_form(client, "/fulfilment/counter/identity", form)
        tapped_again = await post_form(client, "/fulfilment/counter/identity", form)  # the same tap, replayed
        assert handed.status_code == 303, handed.text
        assert (
            handed.headers["location"]
            == f"/fulfilment/counter?collected={await _number(harness, order_id)}&location=BTQ"
        )
        assert tapped_again.status_code == 303
        assert tapped_again.headers.get("idempotent-replayed") == "true"
        second_tap = await post_form(client, "/fulfilment/counter/identity", _identity(order_id))
        assert second_tap.status_code == 409  # a new tap on an order already handed over
        order_page = await client.get(f"/orders/{order_id}")
    status, sold, checks = await _handed_over(harness, order_id)
    assert (status, sold) == ("picked_up", 2)
    assert checks == [
        (
            harness.users[Role.STAFF].id,
            {"number": await _number(harness, order_id), "shown": "ID card", "code_locked": False},
        )
    ]
    assert "Sami Staff checked the identity (ID card) and handed order" in order_page.text


async def _number(harness: Harness, order_id: int) -> str:
    async with harness.db.read() as session:
        return await session.scalar(select(Order.number).where(Order.id == order_id))


async def test_an_identity_check_is_refused_for_an_order_not_ready_and_for_a_driver(
    harness: Harness, shop
) -> None:
    not_ready = await accepted(
        harness, fulfilment_mode="pickup", address=None, lines=[WantedLine("APPLE", 1)]
    )
    async with harness.signed_in(Role.STAFF) as client:
        refused = await post_form(client, "/fulfilment/counter/identity", _identity(not_ready))
        assert refused.status_code == 409
        order_id = await _ready_at_the_boutique(harness, client, shop)
    async with harness.signed_in(Role.DRIVER) as driver:
        forbidden = await post_form(driver, "/fulfilment/counter/identity", _identity(order_id))
    assert forbidden.status_code == 403
    assert (await _handed_over(harness, not_ready))[0] == "accepted"
    assert await _handed_over(harness, order_id) == ("ready_for_pickup", 0, [])


async def test_the_customer_sees_the_pickup_code_on_the_tracking_page(harness: Harness, shop) -> None:
    owner = actor_for(Role.OWNER, harness.users[Role.OWNER].id)
    wanted = draft(fulfilment_mode="pickup", address=None, lines=[WantedLine("APPLE", 1)])
    placed = await orders.place_order(harness.db, owner, wanted)
    order_id = (await orders.accept_order(harness.db, owner, placed.id)).id
    async with harness.signed_in(Role.STAFF) as client:
        batch = await start(
            client,
            shop.boutique,
            versions((await client.get(f"/fulfilment/pick?location={shop.boutique}")).text),
        )
        await post_form(client, f"{batch}/scan", {"code": "APPLE"})
        await post_form(client, f"/fulfilment/orders/{order_id}/pack", {"parcels": "1", "weight_g": "200"})
        await post_form(client, f"/fulfilment/orders/{order_id}/ready", {})
    token = placed.tracking_token
    async with harness.db.read() as session:
        code = await pickup_code_of(session, rules.pickup_key(harness.settings.secret_key), order_id)
    async with harness.client() as anonymous:
        tracking = await anonymous.get(f"/t/{token}")
    assert tracking.status_code == 200
    assert f'<p class="pickup-code__value" id="pickup-code">{code}</p>' in tracking.text
    assert 'class="pickup-code__qr" src="data:image/svg+xml' in tracking.text


async def test_carriers_can_be_added_by_the_owner_only(harness: Harness, shop) -> None:
    async with harness.signed_in(Role.STAFF) as staff:
        assert (await staff.get("/fulfilment/carriers")).status_code == 403
    async with harness.signed_in(Role.OWNER) as owner:
        bad = await post_form(
            owner, "/fulfilment/carriers", {"code": "GLS!", "name": "", "tracking_url": "http://x"}
        )
        assert bad.status_code == 422
        added = await post_form(
            owner,
            "/fulfilment/carriers",
            {"code": "gls", "name": "GLS", "tracking_url": "https://gls-group.com/track/{number}"},
        )
        assert added.status_code == 303
        listed = await owner.get("/fulfilment/carriers")
        assert "GLS" in listed.text
        assert "La Poste Colissimo" in listed.text
