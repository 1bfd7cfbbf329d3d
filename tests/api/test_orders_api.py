"""The orders JSON API: placing, reading, listing, the lifecycle and editing, on both engines."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.customers.models import Customer
from backend.idempotency.models import IdempotencyKey
from backend.inventory.models import Reservation
from backend.kernel.events import Event
from backend.orders.models import Order
from tests.api.conftest import Harness
from tests.api.order_fixtures import build_shop
from tests.api.stock_fixtures import level
from tests.api.stock_helpers import receive_stock

BODY = {
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+33612345678"},
    "lines": [{"sku": "APPLE", "quantity": 2}, {"sku": "PEAR", "quantity": 1}],
    "fulfilment_mode": "delivery",
    "address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"},
    "payment_method": "card",
}


@pytest.fixture
async def shop(harness: Harness):
    return await build_shop(harness.db)


@pytest.fixture
async def api(harness: Harness):
    token = await harness.token(Role.STAFF)
    async with harness.client() as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


async def written(harness: Harness) -> tuple[int, int, int]:
    async with harness.db.read() as session:
        return tuple(
            [
                await session.scalar(select(func.count()).select_from(model))
                for model in (Order, Customer, Reservation)
            ]
        )


async def test_placing_answers_201_with_the_order_and_its_tracking_link(harness: Harness, shop, api) -> None:
    response = await api.post("/api/v1/orders", json=BODY)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "number", "status", "total_minor", "currency", "tracking_url", "version"}
    assert (body["status"], body["total_minor"], body["currency"], body["version"]) == (
        "placed",
        900,
        "EUR",
        1,
    )
    assert body["tracking_url"].startswith(f"{harness.settings.origin}/t/")


async def test_prices_and_totals_sent_by_the_client_are_ignored(harness: Harness, shop, api) -> None:
    tampered = {
        **BODY,
        "lines": [{"sku": "APPLE", "quantity": 2, "price_minor": 1, "unit_price_minor": 1}],
        "total_minor": 1,
    }
    response = await api.post("/api/v1/orders", json=tampered)
    assert response.status_code == 201
    assert response.json()["total_minor"] == 500


async def test_not_enough_stock_is_a_409_naming_the_short_lines(harness: Harness, shop, api) -> None:
    body = {**BODY, "lines": [{"sku": "APPLE", "quantity": 1}, {"sku": "PEAR", "quantity": 50}]}
    response = await api.post("/api/v1/orders", json=body)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["short_lines"] == [{"sku": "PEAR", "wanted": 50, "available": 10}]
    assert "PEAR" in response.json()["detail"]
    assert await written(harness) == (0, 0, 0)


BAD = {
    "empty basket": ({"lines": []}, 422, "lines"),
    "unknown sku": ({"lines": [{"sku": "NOPE", "quantity": 1}]}, 422, "lines[0].sku"),
    "archived sku": ({"lines": [{"sku": "OLD", "quantity": 1}]}, 422, "lines[0].sku"),
    "quantity 0": ({"lines": [{"sku": "APPLE", "quantity": 0}]}, 422, "lines[0].quantity"),
    "quantity 10**9": ({"lines": [{"sku": "APPLE", "quantity": 10**9}]}, 422, "lines[0].quantity"),
    "quantity as text": ({"lines": [{"sku": "APPLE", "quantity": "2"}]}, 400, None),
    "fractional quantity": ({"lines": [{"sku": "APPLE", "quantity": 1.5}]}, 400, None),
    "delivery without address": ({"address": None}, 422, "address"),
    "bad email": ({"customer": {"name": "Ada", "email": "ada-at-example"}}, 422, "customer.email"),
    "bad phone": ({"customer": {"name": "Ada", "phone": "call me maybe"}}, 422, "customer.phone"),
    "unknown location": ({"location": "MARS"}, 422, "location"),
    "unknown mode": ({"fulfilment_mode": "teleport"}, 422, "fulfilment_mode"),
    "no customer": ({"customer": None}, 400, None),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
async def test_bad_input_gets_a_clear_error_and_writes_nothing(
    harness: Harness, shop, api, case: str
) -> None:
    change, status, key = BAD[case]
    response = await api.post("/api/v1/orders", json={**BODY, **change})
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    if key is not None:
        assert key in [error["key"] for error in problem["errors"]]
    assert await written(harness) == (0, 0, 0)


async def test_a_malformed_body_is_a_400(harness: Harness, shop, api) -> None:
    response = await api.post(
        "/api/v1/orders", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_customers_and_visitors_may_not_use_the_orders_api(harness: Harness, shop) -> None:
    async with harness.client() as client:
        assert (await client.post("/api/v1/orders", json=BODY)).status_code == 401
        client.headers["Authorization"] = f"Bearer {await harness.token(Role.CUSTOMER)}"
        assert (await client.post("/api/v1/orders", json=BODY)).status_code == 403
        assert (await client.get("/api/v1/orders")).status_code == 403


async def test_an_order_reads_back_with_lines_and_timeline(harness: Harness, shop, api) -> None:
    placed = (await api.post("/api/v1/orders", json=BODY)).json()
    await api.post(f"/api/v1/orders/{placed['id']}/accept", json={"version": 1})
    body = (await api.get(f"/api/v1/orders/{placed['id']}")).json()
    assert (body["status"], body["version"], body["location"]) == ("accepted", 2, "ENT")
    assert [(line["sku"], line["quantity"], line["tax_rate"]) for line in body["lines"]] == [
        ("APPLE", 2, "5.5"),
        ("PEAR", 1, "20"),
    ]
    assert [entry["type"] for entry in body["timeline"]] == ["order.placed", "order.accepted"]
    assert body["timeline"][1]["actor"] == "Sami Staff"
    assert (await api.get("/api/v1/orders/999999")).status_code == 404


async def test_the_list_filters_searches_and_pages_by_keyset(harness: Harness, shop, api) -> None:
    ids = []
    for n in range(5):
        customer = {"name": f"Client {n}", "email": f"c{n}@example.com"}
        body = {
            **BODY,
            "customer": customer,
            "lines": [{"sku": "APPLE", "quantity": 1}],
            "fulfilment_mode": "pickup",
            "location": "BTQ",
        }
        response = await api.post("/api/v1/orders", json={**body, "address": None})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    await api.post(f"/api/v1/orders/{ids[0]}/accept")
    first = (await api.get("/api/v1/orders", params={"limit": 2})).json()
    assert [item["id"] for item in first["items"]] == [ids[4], ids[3]]
    second = (await api.get("/api/v1/orders", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [item["id"] for item in second["items"]] == [ids[2], ids[1]]
    accepted = (await api.get("/api/v1/orders", params={"status": "accepted"})).json()
    assert [item["id"] for item in accepted["items"]] == [ids[0]]
    found = (await api.get("/api/v1/orders", params={"q": "client 3"})).json()
    assert [item["id"] for item in found["items"]] == [ids[3]]
    by_number = (await api.get("/api/v1/orders", params={"q": first["items"][0]["number"].lower()})).json()
    assert [item["id"] for item in by_number["items"]] == [ids[4]]
    pickups = (await api.get("/api/v1/orders", params={"mode": "pickup", "channel": "api"})).json()
    assert len(pickups["items"]) == 5
    assert (await api.get("/api/v1/orders", params={"cursor": "x"})).status_code == 400


async def test_transitions_answer_the_new_status_and_409_when_stale_or_impossible(
    harness: Harness, shop, api
) -> None:
    order = (await api.post("/api/v1/orders", json=BODY)).json()
    url = f"/api/v1/orders/{order['id']}"
    held = await api.post(f"{url}/hold", json={"version": 1, "reason": "check the address"})
    assert (held.status_code, held.json()["status"], held.json()["version"]) == (200, "on_hold", 2)
    stale = await api.post(f"{url}/accept", json={"version": 1})
    assert (stale.status_code, stale.json()["current_version"]) == (409, 2)
    no_reason = await api.post(f"{url}/reject", json={"version": 2})
    assert no_reason.status_code == 422
    rejected = await api.post(f"{url}/reject", json={"version": 2, "reason": "fraud"})
    assert rejected.json()["status"] == "rejected"
    impossible = await api.post(f"{url}/accept")
    assert (impossible.status_code, impossible.json()["code"]) == (409, "transition_not_allowed")
    assert (await level(harness.db, shop.products["APPLE"], shop.warehouse)).reserved == 0


async def test_cancel_releases_the_stock(harness: Harness, shop, api) -> None:
    order = (await api.post("/api/v1/orders", json=BODY)).json()
    response = await api.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "customer called"})
    assert response.json()["status"] == "cancelled"
    assert (await level(harness.db, shop.products["PEAR"], shop.warehouse)).reserved == 0


async def test_editing_through_patch_re_reserves_and_checks_the_version(harness: Harness, shop, api) -> None:
    order = (await api.post("/api/v1/orders", json=BODY)).json()
    url = f"/api/v1/orders/{order['id']}"
    edited = await api.patch(url, json={"version": 1, "lines": [{"sku": "APPLE", "quantity": 4}]})
    assert (edited.status_code, edited.json()["total_minor"], edited.json()["version"]) == (200, 1000, 2)
    stale = await api.patch(url, json={"version": 1, "location": "BTQ"})
    assert stale.status_code == 409
    moved = await api.patch(url, json={"version": 2, "location": "BTQ"})
    assert moved.json()["location"] == "BTQ"
    short = await api.patch(url, json={"version": 3, "lines": [{"sku": "APPLE", "quantity": 6}]})
    assert (short.status_code, short.json()["short_lines"][0]["sku"]) == (409, "APPLE")
    assert (await level(harness.db, shop.products["APPLE"], shop.boutique)).reserved == 4


async def test_a_double_tapped_accept_accepts_once(harness: Harness, shop, api) -> None:
    order = (await api.post("/api/v1/orders", json=BODY)).json()
    taps = await asyncio.gather(*(api.post(f"/api/v1/orders/{order['id']}/accept") for _ in range(2)))
    assert sorted(tap.status_code for tap in taps) == [200, 409]
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).where(Event.type == "order.accepted")) == 1


async def test_forty_concurrent_placements_for_ten_units_make_ten_orders(harness: Harness, api) -> None:
    await build_shop(harness.db, {"APPLE": (10, 0)})
    body = {**BODY, "lines": [{"sku": "APPLE", "quantity": 1}], "channel": "staff"}

    async def place(n: int):
        return await api.post(
            "/api/v1/orders", json={**body, "customer": {"name": f"C{n}", "email": f"c{n}@example.com"}}
        )

    answers = await asyncio.gather(*(place(n) for n in range(40)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 10 + [409] * 30
    assert all(
        answer.json()["short_lines"][0]["sku"] == "APPLE" for answer in answers if answer.status_code == 409
    )
    stock = await level(harness.db, (await build_ids(harness))["APPLE"], 1)
    assert (stock.on_hand, stock.reserved) == (10, 10)
    assert (await written(harness))[0] == 10


async def build_ids(harness: Harness) -> dict[str, int]:
    from backend.catalog.models import Product

    async with harness.db.read() as session:
        return {product.sku: product.id for product in await session.scalars(select(Product))}


async def test_fifty_concurrent_requests_with_one_idempotency_key_make_one_order(
    harness: Harness, shop, api
) -> None:
    headers = {"Idempotency-Key": "tap-tap-tap"}
    answers = await asyncio.gather(
        *(api.post("/api/v1/orders", json=BODY, headers=headers) for _ in range(50))
    )
    # Each duplicate waits for the first and gets its order: none is turned away.
    assert {answer.status_code for answer in answers} == {201}
    created = {answer.json()["id"] for answer in answers}
    assert len(created) == 1
    assert (await written(harness))[0] == 1
    replay = await api.post("/api/v1/orders", json=BODY, headers=headers)
    assert (replay.status_code, replay.json()["id"]) == (201, created.pop())


async def test_the_list_filters_by_date_and_refuses_a_date_it_cannot_read(
    harness: Harness, shop, api
) -> None:
    await api.post("/api/v1/orders", json=BODY)
    assert len((await api.get("/api/v1/orders", params={"placed_from": "2000-01-01"})).json()["items"]) == 1
    assert (await api.get("/api/v1/orders", params={"placed_before": "2000-01-01T00:00:00+00:00"})).json()[
        "items"
    ] == []
    assert (await api.get("/api/v1/orders", params={"placed_from": "yesterday"})).status_code == 400


async def test_a_keyed_order_and_its_stored_answer_commit_together(harness: Harness, shop, api) -> None:
    headers = {"Idempotency-Key": "order-7"}
    first = await api.post("/api/v1/orders", json=BODY, headers=headers)
    again = await api.post("/api/v1/orders", json=BODY, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content  # the same order, tracking link included
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    other = await api.post("/api/v1/orders", json={**BODY, "notes": "ring twice"}, headers=headers)
    assert other.status_code == 422
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
        stored = await session.scalar(select(IdempotencyKey))
    tracking_token = first.json()["tracking_url"].rsplit("/", 1)[1]
    # At rest: neither the key nor the result's tracking token can be read from the table.
    assert "order-7" not in stored.key
    assert tracking_token.encode() not in stored.body
    assert (await written(harness))[0] == 1


async def test_a_refused_keyed_order_gives_its_key_back_to_be_judged_afresh(
    harness: Harness, shop, api
) -> None:
    headers = {"Idempotency-Key": "too-many-plums"}
    body = {**BODY, "lines": [{"sku": "PLUM", "quantity": 5}], "location": "ENT"}
    refused = await api.post("/api/v1/orders", json=body, headers=headers)
    assert refused.status_code == 409
    async with harness.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    await receive_stock(harness.db, shop.products["PLUM"], shop.warehouse, 2)
    placed = await api.post("/api/v1/orders", json=body, headers=headers)
    assert placed.status_code == 201, placed.text
    assert (await written(harness))[0] == 1


async def test_a_placement_body_is_decoded_once(harness: Harness, shop, api, monkeypatch) -> None:
    """Without an idempotency key there is nothing to fingerprint: the handler's reading is the only one."""
    decoded = []
    real = msgspec.json.decode

    def counting(*args, **kwargs):
        decoded.append(args[0] if args else kwargs.get("buf"))
        return real(*args, **kwargs)

    monkeypatch.setattr(msgspec.json, "decode", counting)
    response = await api.post("/api/v1/orders", json=BODY)
    monkeypatch.undo()
    assert response.status_code == 201, response.text
    assert len([body for body in decoded if b"Ada Lovelace" in bytes(body)]) == 1
