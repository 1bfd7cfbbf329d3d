"""The fulfilment moves of the JSON API on both engines: pick, confirm, short pick, pack, ship,
ready and collect; the pickup-code lockout; what the sale does to the ledger; bad input; two
phones picking the same order; and what ``GET /orders/{id}`` adds."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.fulfilment.models import Fulfilment, PickedLine
from backend.inventory.models import StockMovement
from backend.kernel.db import utcnow
from backend.kernel.events import Event
from tests.api.conftest import Harness
from tests.api.order_fixtures import build_shop
from tests.api.stock_fixtures import level
from tests.api.stock_helpers import ledger_mismatches
from tests.writing import update_all

BODY = {
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+33612345678"},
    "lines": [{"sku": "APPLE", "quantity": 2}, {"sku": "PEAR", "quantity": 1}],
    "fulfilment_mode": "shipping",
    "address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"},
    "payment_method": "card",
}
# Picked up at the boutique (BTQ), which holds apples only.
PICKUP = {"fulfilment_mode": "pickup", "address": None, "lines": [{"sku": "APPLE", "quantity": 2}]}


@pytest.fixture
async def shop(harness: Harness):
    return await build_shop(harness.db)


async def _client(harness: Harness, role: Role):
    token = await harness.token(role)
    client = harness.client()
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
async def api(harness: Harness):
    async with await _client(harness, Role.STAFF) as client:
        yield client


async def accepted(api, **changes: object) -> dict:
    placed = await api.post("/api/v1/orders", json={**BODY, **changes})
    assert placed.status_code == 201, placed.text
    order = await api.post(f"/api/v1/orders/{placed.json()['id']}/accept", json={})
    assert order.status_code == 200, order.text
    return order.json()


async def picked(api, order: dict) -> dict:
    started = await api.post(f"/api/v1/orders/{order['id']}/pick", json={"version": order["version"]})
    assert started.status_code == 200, started.text
    last = started.json()
    for line in (await api.get(f"/api/v1/orders/{order['id']}")).json()["lines"]:
        done = await api.post(
            f"/api/v1/orders/{order['id']}/picked", json={"sku": line["sku"], "quantity": line["quantity"]}
        )
        assert done.status_code == 200, done.text
        last = done.json()
    assert last["all_picked"] is True
    return last


async def packed(api, order: dict) -> dict:
    order = await picked(api, order)
    done = await api.post(
        f"/api/v1/orders/{order['id']}/pack",
        json={"parcels": 2, "weight_g": 1800, "version": order["version"]},
    )
    assert done.status_code == 200, done.text
    return done.json()


async def order_events(harness: Harness, order_id: int, kind: str) -> int:
    async with harness.db.read() as session:
        return await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.subject == f"order:{order_id}", Event.type == kind)
        )


async def test_each_move_answers_the_order_with_its_new_status_and_version(
    harness: Harness, shop, api
) -> None:
    order = await accepted(api)
    started = await api.post(f"/api/v1/orders/{order['id']}/pick", json={"version": order["version"]})
    body = started.json()
    assert (body["status"], body["version"]) == ("picking", order["version"] + 1)
    assert body["batch_id"] > 0
    scan = await api.post(f"/api/v1/orders/{order['id']}/picked", json={"sku": "apple", "quantity": 1})
    assert scan.status_code == 200, scan.text
    assert (scan.json()["sku"], scan.json()["picked_quantity"], scan.json()["all_picked"]) == (
        "APPLE",
        1,
        False,
    )
    assert scan.json()["version"] == body["version"] + 1
    detail = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert [(line["sku"], line["picked_quantity"]) for line in detail["lines"]] == [("APPLE", 1), ("PEAR", 0)]
    assert (detail["parcels"], detail["carrier"], detail["tracking_number"]) == (None, None, None)
    early = await api.post(f"/api/v1/orders/{order['id']}/pack", json={"parcels": 1, "weight_g": 900})
    assert early.status_code == 409
    assert early.json()["code"] == "not_all_picked"
    for sku, quantity in (("APPLE", 1), ("PEAR", 1)):
        assert (
            await api.post(f"/api/v1/orders/{order['id']}/picked", json={"sku": sku, "quantity": quantity})
        ).status_code == 200
    detail = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    packed_now = await api.post(
        f"/api/v1/orders/{order['id']}/pack",
        json={"parcels": 2, "weight_g": 1800, "version": detail["version"]},
    )
    assert packed_now.status_code == 200, packed_now.text
    assert packed_now.json()["status"] == "packed"
    shipped = await api.post(
        f"/api/v1/orders/{order['id']}/ship",
        json={"carrier": "colissimo", "tracking_number": " 6A123 ", "version": packed_now.json()["version"]},
    )
    assert shipped.status_code == 200, shipped.text
    assert (shipped.json()["status"], shipped.json()["version"]) == (
        "shipped",
        packed_now.json()["version"] + 1,
    )
    detail = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert (detail["parcels"], detail["carrier"], detail["tracking_number"]) == (2, "colissimo", "6A123")
    assert [line["picked_quantity"] for line in detail["lines"]] == [2, 1]


async def test_pickup_gives_a_code_that_hands_the_order_over_and_sells_the_stock(
    harness: Harness, shop, api
) -> None:
    btq = shop.boutique
    before = await level(harness.db, shop.products["APPLE"], btq)
    order = await packed(api, await accepted(api, **PICKUP))
    ready = await api.post(f"/api/v1/orders/{order['id']}/ready", json={"version": order["version"]})
    assert ready.status_code == 200, ready.text
    code = ready.json()["pickup_code"]
    assert ready.json()["status"] == "ready_for_pickup"
    assert len(code) == 6
    assert code.isdigit()
    done = await api.post(f"/api/v1/orders/{order['id']}/collect", json={"code": f"{code[:3]} {code[3:]}"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "picked_up"
    again = await api.post(f"/api/v1/orders/{order['id']}/collect", json={"code": code})
    assert again.status_code == 409  # a double-tapped "collected"
    after = await level(harness.db, shop.products["APPLE"], btq)
    assert after.on_hand == before.on_hand - 2
    assert after.reserved == before.reserved  # held at placing, released by exactly what was handed over
    assert await ledger_mismatches(harness.db) == []
    async with harness.db.read() as session:
        sales = await session.scalar(
            select(func.sum(StockMovement.quantity)).where(
                StockMovement.reference == f"order:{order['id']}", StockMovement.kind == "sale"
            )
        )
    assert sales == -2


async def _sold(harness: Harness, order_id: int) -> int:
    async with harness.db.read() as session:
        return -await session.scalar(
            select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                StockMovement.reference == f"order:{order_id}", StockMovement.kind == "sale"
            )
        )


async def _identity_checks(harness: Harness, order_id: int) -> list[tuple[int | None, dict]]:
    async with harness.db.read() as session:
        rows = await session.execute(
            select(Event.actor_id, Event.data).where(
                Event.subject == f"order:{order_id}", Event.type == "order.pickup_identity_checked"
            )
        )
        return [(actor, data) for actor, data in rows]


IDENTITY = {"identity_checked": True, "identity_note": "Passport"}


async def test_without_the_code_an_identity_check_hands_the_order_over_once(
    harness: Harness, shop, api
) -> None:
    order = await packed(api, await accepted(api, **PICKUP))
    url = f"/api/v1/orders/{order['id']}/collect"
    early = await api.post(url, json=IDENTITY)
    assert early.status_code == 409  # packed, not yet ready for pickup
    ready = (await api.post(f"/api/v1/orders/{order['id']}/ready", json={})).json()
    refusals = {
        "unticked": {**IDENTITY, "identity_checked": False},
        "no_box": {"identity_note": "Passport"},
        "no_note": {"identity_checked": True},
        "blank_note": {"identity_checked": True, "identity_note": "  "},
        "long_note": {"identity_checked": True, "identity_note": "x" * 101},
        "both": {**IDENTITY, "code": ready["pickup_code"]},
        "neither": {},
    }
    answers = {name: await api.post(url, json=body) for name, body in refusals.items()}
    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(refusals, 422)
    assert answers["unticked"].json()["errors"][0]["key"] == "identity_checked"
    assert answers["no_note"].json()["errors"][0]["code"] == "identity_note_required"
    assert answers["both"].json()["errors"][0]["code"] == "identity_or_code"
    assert answers["neither"].json()["errors"][0]["code"] == "code_invalid"
    stale = await api.post(url, json={**IDENTITY, "version": ready["version"] - 1})
    assert stale.status_code == 409
    assert await _sold(harness, order["id"]) == 0
    headers = {"Idempotency-Key": "counter-identity-1"}
    first = await api.post(url, json={**IDENTITY, "version": ready["version"]}, headers=headers)
    replay = await api.post(url, json={**IDENTITY, "version": ready["version"]}, headers=headers)
    again = await api.post(url, json=IDENTITY)  # a second tap, without the key
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "picked_up"
    assert replay.status_code == 200
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.json() == first.json()
    assert again.status_code == 409
    assert await _sold(harness, order["id"]) == 2
    assert await ledger_mismatches(harness.db) == []
    staff = harness.users[Role.STAFF].id
    assert await _identity_checks(harness, order["id"]) == [
        (staff, {"number": first.json()["number"], "shown": "Passport", "code_locked": False})
    ]


async def test_an_identity_check_hands_over_a_locked_order_and_says_so(harness: Harness, shop, api) -> None:
    order = await packed(api, await accepted(api, **PICKUP))
    code = (await api.post(f"/api/v1/orders/{order['id']}/ready", json={})).json()["pickup_code"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        await api.post(f"/api/v1/orders/{order['id']}/collect", json={"code": wrong})
    async with await _client(harness, Role.DRIVER) as driver:
        forbidden = await driver.post(f"/api/v1/orders/{order['id']}/collect", json=IDENTITY)
    assert forbidden.status_code == 403
    done = await api.post(f"/api/v1/orders/{order['id']}/collect", json=IDENTITY)
    assert done.status_code == 200, done.text
    checks = await _identity_checks(harness, order["id"])
    assert [data["code_locked"] for _, data in checks] == [True]
    async with harness.db.read() as session:
        kept = await session.get(Fulfilment, order["id"])
    assert (kept.wrong_codes, kept.locked_until) == (0, None)


async def test_shipping_sells_exactly_the_shipped_quantity(harness: Harness, shop, api) -> None:
    ent = shop.warehouse
    apple = shop.products["APPLE"]
    other = await accepted(api, lines=[{"sku": "APPLE", "quantity": 3}])  # stays reserved
    before = await level(harness.db, apple, ent)
    order = await packed(api, await accepted(api))
    middle = await level(harness.db, apple, ent)
    assert middle.reserved == before.reserved + 2
    shipped = await api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"carrier": "dhl", "tracking_number": "JD0001"}
    )
    assert shipped.status_code == 200, shipped.text
    after = await level(harness.db, apple, ent)
    assert (after.reserved, after.on_hand) == (middle.reserved - 2, middle.on_hand - 2)
    assert other["status"] == "accepted"
    assert await ledger_mismatches(harness.db) == []


async def test_a_short_pick_records_a_discrepancy_and_holds_the_order(harness: Harness, shop, api) -> None:
    order = await accepted(api)
    await api.post(f"/api/v1/orders/{order['id']}/pick", json={})
    before = await level(harness.db, shop.products["APPLE"], shop.warehouse)
    short = await api.post(f"/api/v1/orders/{order['id']}/short", json={"sku": "APPLE", "found": 1})
    assert short.status_code == 200, short.text
    assert short.json()["status"] == "on_hold"
    after = await level(harness.db, shop.products["APPLE"], shop.warehouse)
    assert after.on_hand == before.on_hand - 1
    assert await ledger_mismatches(harness.db) == []
    assert await order_events(harness, order["id"], "order.short_pick") == 1
    not_short = await accepted(api)
    await api.post(f"/api/v1/orders/{not_short['id']}/pick", json={})
    refused = await api.post(f"/api/v1/orders/{not_short['id']}/short", json={"sku": "APPLE", "found": 2})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "not_short"


async def test_five_wrong_codes_lock_the_order_for_15_minutes(harness: Harness, shop, api) -> None:
    order = await packed(api, await accepted(api, **PICKUP))
    code = (await api.post(f"/api/v1/orders/{order['id']}/ready", json={})).json()["pickup_code"]
    wrong = "000000" if code != "000000" else "111111"
    answers = [
        await api.post(f"/api/v1/orders/{order['id']}/collect", json={"code": wrong}) for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [422] * 5
    assert [a.json()["attempts_left"] for a in answers[:4]] == [4, 3, 2, 1]
    assert answers[4].json()["code"] == "code_locked"
    assert answers[4].json()["locked_until"]
    locked = await api.post(f"/api/v1/orders/{order['id']}/collect", json={"code": code})
    assert locked.status_code == 422
    assert locked.json()["code"] == "code_locked"
    assert await order_events(harness, order["id"], "order.pickup_code_refused") == 5
    past = utcnow() - timedelta(minutes=1)
    await harness.db.run(update_all, Fulfilment, locked_until=past)
    done = await api.post(f"/api/v1/orders/{order['id']}/collect", json={"code": code})
    assert done.status_code == 200, done.text


async def test_bad_input_is_refused_with_a_clear_message_and_writes_nothing(
    harness: Harness, shop, api
) -> None:
    order = await accepted(api)
    await api.post(f"/api/v1/orders/{order['id']}/pick", json={})
    cases = [
        ("picked", {"barcode": "0000000000000", "quantity": 1}, 422, "not_on_order"),
        ("picked", {"sku": "PLUM", "quantity": 1}, 422, "not_on_order"),
        ("picked", {"sku": "APPLE", "quantity": 3}, 422, "more_than_ordered"),
        ("picked", {"sku": "APPLE", "quantity": 0}, 422, "quantity_invalid"),
        ("picked", {"quantity": 1}, 422, "code_required"),
        ("pack", {"parcels": 1, "weight_g": 500}, 409, "not_all_picked"),
        ("pack", {"parcels": 0, "weight_g": 500}, 422, "parcels_invalid"),
    ]
    for move, body, status, code in cases:
        answer = await api.post(f"/api/v1/orders/{order['id']}/{move}", json=body)
        assert answer.status_code == status, (move, body, answer.text)
        found = answer.json().get("code") or answer.json()["errors"][0]["code"]
        assert found == code, (move, body, answer.json())
        assert answer.json()["detail"]
    async with harness.db.read() as session:
        assert await session.scalar(select(func.sum(PickedLine.picked_quantity))) == 0
    unknown = await api.post(f"/api/v1/orders/{order['id']}/picked", json={"sku": "APPLE", "quantity": "two"})
    assert 400 <= unknown.status_code < 500
    # Tracking numbers: empty, or 200 characters.
    ship_me = await packed(api, await accepted(api))
    for number, code in (
        ("", "tracking_required"),
        ("   ", "tracking_required"),
        ("X" * 200, "tracking_too_long"),
    ):
        answer = await api.post(
            f"/api/v1/orders/{ship_me['id']}/ship", json={"carrier": "colissimo", "tracking_number": number}
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["code"] == code
    unknown_carrier = await api.post(
        f"/api/v1/orders/{ship_me['id']}/ship", json={"carrier": "pigeon", "tracking_number": "1"}
    )
    assert unknown_carrier.status_code == 422
    assert (await api.get(f"/api/v1/orders/{ship_me['id']}")).json()["status"] == "packed"
    # A pickup code of another order.
    first = await packed(api, await accepted(api, **PICKUP))
    second = await packed(api, await accepted(api, **PICKUP))
    first_code = (await api.post(f"/api/v1/orders/{first['id']}/ready", json={})).json()["pickup_code"]
    second_code = (await api.post(f"/api/v1/orders/{second['id']}/ready", json={})).json()["pickup_code"]
    if first_code != second_code:
        crossed = await api.post(f"/api/v1/orders/{second['id']}/collect", json={"code": first_code})
        assert crossed.status_code == 422
        assert crossed.json()["code"] == "code_wrong"
    assert (await api.get(f"/api/v1/orders/{second['id']}")).json()["status"] == "ready_for_pickup"
    malformed = await api.post(f"/api/v1/orders/{second['id']}/collect", json={"code": "12ab"})
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["code"] == "code_invalid"
    missing = await api.post("/api/v1/orders/999999/pick", json={})
    assert missing.status_code == 404


async def test_a_stale_version_is_a_409_with_the_current_one(harness: Harness, shop, api) -> None:
    order = await accepted(api)
    stale = await api.post(f"/api/v1/orders/{order['id']}/pick", json={"version": order["version"] - 1})
    assert stale.status_code == 409
    assert (stale.json()["current_version"], stale.json()["current_status"]) == (order["version"], "accepted")
    forbidden = await api.post(f"/api/v1/orders/{order['id']}/ready", json={})
    assert forbidden.status_code == 409


async def test_two_phones_picking_the_same_order_one_wins_the_other_sees_who(harness: Harness, shop) -> None:
    async with await _client(harness, Role.OWNER) as owner, await _client(harness, Role.STAFF) as staff:
        order = await accepted(staff)
        answers = await asyncio.gather(
            *(
                phone.post(f"/api/v1/orders/{order['id']}/pick", json={"version": order["version"]})
                for phone in (owner, staff)
            )
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 409], [a.text for a in answers]
        loser = next(answer for answer in answers if answer.status_code == 409).json()
        winner = "Olive Owner" if answers[0].status_code == 200 else "Sami Staff"
        assert loser["by"] == winner
        assert winner in loser["detail"]
        other = staff if winner == "Olive Owner" else owner
        scan = await other.post(f"/api/v1/orders/{order['id']}/picked", json={"sku": "APPLE", "quantity": 1})
        assert scan.status_code == 409
        assert scan.json()["code"] == "picked_by_another"
        assert scan.json()["by"] == winner
    assert await order_events(harness, order["id"], "order.picking") == 1


async def test_a_replayed_confirmation_counts_once(harness: Harness, shop, api) -> None:
    order = await accepted(api)
    await api.post(f"/api/v1/orders/{order['id']}/pick", json={})
    headers = {"Idempotency-Key": "scan-apple-1"}
    first = await api.post(
        f"/api/v1/orders/{order['id']}/picked", json={"sku": "APPLE", "quantity": 1}, headers=headers
    )
    second = await api.post(
        f"/api/v1/orders/{order['id']}/picked", json={"sku": "APPLE", "quantity": 1}, headers=headers
    )
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers.get("idempotent-replayed") == "true"
    assert first.json() == second.json()
    detail = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert detail["lines"][0]["picked_quantity"] == 1


async def test_carriers_are_listed(harness: Harness, shop, api) -> None:
    listed = (await api.get("/api/v1/carriers")).json()
    assert [carrier["code"] for carrier in listed][:2] == ["colissimo", "chronopost"]
