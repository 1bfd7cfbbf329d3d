"""The runs API on both engines: a run's whole life (planned in the suggested order, started,
drop-offs with a signature and a photo, a failure back in the ready list, positions, finished,
cash handed back and counted, the figures adding up), a drop-off confirmed twice with one key
applied once, and the bad input and access the issue lists, each a clear error writing nothing."""

from __future__ import annotations

import base64
import io
from datetime import UTC
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from backend.auth.rules import Role
from backend.delivery import proofs, reads
from backend.kernel.events import Event
from backend.orders.models import Order
from tests.api.conftest import Harness
from tests.api.delivery_fixtures import (
    BASTILLE,
    NATION,
    Drivers,
    camera_jpeg,
    drivers_with_api,
    owner_actor,
    packed,
    png,
)
from tests.api.order_fixtures import build_shop

DAY = "2026-12-14"


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"authorization": f"Bearer {token}"}
    if key:
        headers["idempotency-key"] = key
    return headers


async def count(harness: Harness, type_: str) -> int:
    async with harness.db.read() as session:
        return int(
            await session.scalar(select(func.count()).select_from(Event).where(Event.type == type_)) or 0
        )


async def ready_ids(harness: Harness) -> set[int]:
    async with harness.db.read() as session:
        groups = await reads.ready_for_delivery(session)
    return {order.order_id for group in groups for order in group.orders}


class Shop:
    """The shop with three stops' worth of packed orders and two drivers allowed the API."""

    def __init__(self, harness: Harness, drivers: Drivers, owner_token: str, orders: dict[str, int]) -> None:
        self.harness, self.drivers, self.owner_token, self.orders = harness, drivers, owner_token, orders

    async def plan(
        self, client: httpx.AsyncClient, names: tuple[str, ...] = ("cod", "twin", "far", "bastille")
    ) -> Any:
        body = {"driver": self.drivers.main.email, "date": DAY, "orders": [self.orders[n] for n in names]}
        response = await client.post("/api/v1/runs", json=body, headers=bearer(self.owner_token))
        assert response.status_code == 201, response.text
        return response.json()

    async def order_status(self, client: httpx.AsyncClient, name: str) -> str:
        response = await client.get(f"/api/v1/orders/{self.orders[name]}", headers=bearer(self.owner_token))
        return response.json()["status"]


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    await build_shop(harness.db)
    owner = owner_actor(harness.users[Role.OWNER])
    orders = {
        "cod": await packed(harness.db, owner, payment_method="cash_on_delivery"),
        "twin": await packed(harness.db, owner),  # same address as cod: one stop
        "far": await packed(harness.db, owner, address=NATION),
        "bastille": await packed(harness.db, owner, address=BASTILLE),
    }
    drivers = await drivers_with_api(harness.db, harness.users[Role.DRIVER])
    return Shop(harness, drivers, await harness.token(Role.OWNER), orders)


def stop_of(run: dict[str, Any], order_id: int) -> dict[str, Any]:
    return next(stop for stop in run["stops"] if order_id in stop["orders"])


async def test_a_run_from_plan_to_counted_cash(harness: Harness, shop: Shop) -> None:
    driver = bearer(shop.drivers.main_token)
    async with harness.client() as client:
        run = await shop.plan(client)
        assert (run["status"], run["version"], len(run["stops"])) == ("planned", 1, 3)
        assert [stop["sequence"] for stop in run["stops"]] == [1, 2, 3]
        assert all(stop["eta"] and stop["id"] for stop in run["stops"])
        assert sorted(len(stop["orders"]) for stop in run["stops"]) == [1, 1, 2]
        assert await ready_ids(harness) == set()
        url = f"/api/v1/runs/{run['id']}"

        started = await client.post(f"{url}/start", json={"version": run["version"]}, headers=driver)
        assert started.status_code == 200, started.text
        assert started.json()["status"] == "started"
        assert {await shop.order_status(client, name) for name in shop.orders} == {"out_for_delivery"}
        async with harness.db.read() as session:  # what the tracking page shows the customer
            assert await reads.order_eta(session, shop.orders["bastille"]) is not None

        first = stop_of(run, shop.orders["cod"])
        signature = base64.b64encode(png()).decode()
        drop = {
            "recipient": "Ada",
            "latitude": 48.8607,
            "longitude": 2.3377,
            "accuracy_m": 12,
            "cash_minor": 250,
            "signature_png": signature,
            "at": "2026-12-14T09:20:00+01:00",
        }
        done = await client.post(f"{url}/stops/{first['id']}/delivered", json=drop, headers=driver)
        assert done.status_code == 200, done.text
        assert set(done.json()) == {"run", "stop"}  # the stop alone, not the whole run read back
        assert done.json()["run"] == {
            "id": run["id"],
            "status": "started",
            "version": started.json()["version"],
        }
        stop = done.json()["stop"]
        assert (stop["id"], stop["orders"]) == (first["id"], first["orders"])
        assert (stop["status"], stop["recipient"], stop["cash_minor"]) == ("delivered", "Ada", 250)
        assert (stop["eta"], stop["cash_to_collect_minor"], stop["late"]) == (stop["done_at"], 250, False)
        assert stop["device_at"].startswith("2026-12-14T08:20")
        assert stop["done_at"]
        assert stop["signature"].startswith("/deliveries/proofs/")
        assert {await shop.order_status(client, n) for n in ("cod", "twin")} == {"delivered"}

        second = stop_of(run, shop.orders["far"])
        fields = {"recipient": "Bob", "latitude": "48.8483", "longitude": "2.3958", "accuracy_m": "8"}
        files = {"photo": ("door.jpg", camera_jpeg(), "image/jpeg")}
        photo = await client.post(
            f"{url}/stops/{second['id']}/delivered", data=fields, files=files, headers=driver
        )
        assert photo.status_code == 200, photo.text
        proof = photo.json()["stop"]["photo"]
        assert proof.startswith("/deliveries/proofs/")
        stored = proofs.read(harness.settings.delivery_proof_dir, proof.rsplit("/", 1)[1])
        assert stored is not None
        assert stored[1] == "image/jpeg"  # the phone's JPEG, kept
        assert Image.open(io.BytesIO(camera_jpeg())).getexif().get_ifd(0x8825)  # sent with its GPS
        assert not Image.open(io.BytesIO(stored[0])).getexif()  # kept without: no position
        assert b"Maker of the phone" not in stored[0]

        third = stop_of(run, shop.orders["bastille"])
        failed = await client.post(
            f"{url}/stops/{third['id']}/failed", json={"reason": "nobody_home"}, headers=driver
        )
        assert failed.status_code == 200, failed.text
        assert (failed.json()["stop"]["status"], failed.json()["stop"]["failure_reason"]) == (
            "failed",
            "nobody_home",
        )
        assert await shop.order_status(client, "bastille") == "delivery_failed"
        assert await ready_ids(harness) == {shop.orders["bastille"]}
        async with harness.db.read() as session:
            assert await reads.order_eta(session, shop.orders["bastille"]) is None

        moved = await client.post(
            f"{url}/positions", json={"latitude": 48.85, "longitude": 2.36, "accuracy_m": 20}, headers=driver
        )
        assert moved.status_code == 204, moved.text
        finished = await client.post(f"{url}/finish", headers=driver)
        assert finished.json()["status"] == "finished"
        assert finished.json()["last_position"]["accuracy_m"] == 20

        declared = await client.post(
            f"{url}/cash/declared", json={"amount_minor": 240, "currency": "EUR"}, headers=driver
        )
        assert declared.status_code == 200, declared.text
        counted = await client.post(
            f"{url}/cash/received",
            json={"amount_minor": 240, "currency": "EUR", "version": declared.json()["version"]},
            headers=bearer(shop.owner_token),
        )
        assert counted.status_code == 200, counted.text
        cash = counted.json()["cash"]
        assert cash == {
            "currency": "EUR",
            "expected_minor": 250,
            "collected_minor": 250,
            "declared_minor": 240,
            "received_minor": 240,
            "difference_minor": 0,
            "owed_minor": 10,
        }
        listed = await client.get(f"/api/v1/runs?driver={shop.drivers.main.email}&date={DAY}", headers=driver)
        assert [(item["id"], item["done"], item["stops"]) for item in listed.json()["items"]] == [
            (run["id"], 3, 3)
        ]
        read = await client.get(url, headers=bearer(shop.owner_token))
        assert read.json()["cash"] == cash
    async with harness.db.read() as session:
        assert await reads.cash_owed(session) == {shop.drivers.main.id: {"EUR": 10}}


async def test_a_drop_off_confirmed_twice_with_one_key_is_applied_once(harness: Harness, shop: Shop) -> None:
    driver = shop.drivers.main_token
    async with harness.client() as client:
        run = await shop.plan(client, ("cod", "twin"))
        url = f"/api/v1/runs/{run['id']}"
        await client.post(f"{url}/start", headers=bearer(driver))
        body = {
            "recipient": "Ada",
            "latitude": 48.8607,
            "longitude": 2.3377,
            "accuracy_m": 10,
            "cash_minor": 250,
        }
        stop = run["stops"][0]["id"]
        answers = [
            await client.post(f"{url}/stops/{stop}/delivered", json=body, headers=bearer(driver, "tap-1"))
            for _ in range(2)
        ]
        again = await client.post(f"{url}/stops/{stop}/delivered", json=body, headers=bearer(driver, "tap-2"))
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[1].headers.get("idempotent-replayed") == "true"
    assert answers[0].json() == answers[1].json()
    assert again.status_code == 200  # a double tap with a new key: the stop answers as it is
    assert await count(harness, "delivery.dropped_off") == 1
    assert await count(harness, "order.delivered") == 2  # the stop's two orders, once each


async def test_an_order_not_packed_for_delivery_cannot_be_planned(harness: Harness, shop: Shop) -> None:
    async with harness.client() as client:
        run = await shop.plan(client, ("cod",))
        body = {"driver": shop.drivers.main.email, "date": DAY, "orders": [shop.orders["cod"]]}
        taken = await client.post("/api/v1/runs", json=body, headers=bearer(shop.owner_token))
        await client.post(f"/api/v1/runs/{run['id']}/start", headers=bearer(shop.drivers.main_token))
        out = await client.post("/api/v1/runs", json=body, headers=bearer(shop.owner_token))
        unknown = await client.post(
            "/api/v1/runs", json={**body, "driver": "nobody@shop.test"}, headers=bearer(shop.owner_token)
        )
        bad_day = await client.post(
            "/api/v1/runs", json={**body, "date": "14/12/2026"}, headers=bearer(shop.owner_token)
        )
        by_driver = await client.post("/api/v1/runs", json=body, headers=bearer(shop.drivers.main_token))
    assert (taken.status_code, taken.json()["code"]) == (409, "already_planned")
    assert (out.status_code, out.json()["code"]) == (409, "not_ready")
    assert out.json()["current"]["status"] == "out_for_delivery"
    assert unknown.status_code == 422
    assert bad_day.status_code == 422
    assert by_driver.status_code == 403
    assert await count(harness, "delivery.run_planned") == 1


async def test_a_driver_reaches_their_own_runs_only(harness: Harness, shop: Shop) -> None:
    other = bearer(shop.drivers.other_token)
    async with harness.client() as client:
        run = await shop.plan(client, ("cod", "far"))
        url = f"/api/v1/runs/{run['id']}"
        stop = run["stops"][0]["id"]
        answers = [
            await client.get(url, headers=other),
            await client.post(f"{url}/start", headers=other),
            await client.post(
                f"{url}/positions", json={"latitude": 48.8, "longitude": 2.3, "accuracy_m": 5}, headers=other
            ),
            await client.post(f"{url}/stops/{stop}/failed", json={"reason": "refused"}, headers=other),
            await client.get(f"/api/v1/runs?driver={shop.drivers.main.email}", headers=other),
        ]
        own = await client.get("/api/v1/runs", headers=other)
        status = (await client.get(url, headers=bearer(shop.owner_token))).json()["status"]
    assert [a.status_code for a in answers] == [403] * 5
    assert own.json() == {"items": []}
    assert status == "planned"


async def test_bad_drop_offs_are_clear_errors_that_write_nothing(harness: Harness, shop: Shop) -> None:
    driver = bearer(shop.drivers.main_token)
    async with harness.client() as client:
        run = await shop.plan(client, ("cod", "twin", "far"))
        url = f"/api/v1/runs/{run['id']}"
        early = await client.post(
            f"{url}/positions", json={"latitude": 48.8, "longitude": 2.3, "accuracy_m": 5}, headers=driver
        )
        await client.post(f"{url}/start", headers=driver)
        cod = stop_of(run, shop.orders["cod"])["id"]
        good = {
            "recipient": "Ada",
            "latitude": 48.8607,
            "longitude": 2.3377,
            "accuracy_m": 10,
            "cash_minor": 250,
        }
        confirm = f"{url}/stops/{cod}/delivered"
        answers = {
            "stop not on run": await client.post(f"{url}/stops/{10**6}/delivered", json=good, headers=driver),
            "photo not an image": await client.post(
                confirm,
                data={k: str(v) for k, v in good.items()},
                files={"photo": ("x.jpg", b"not a picture", "image/jpeg")},
                headers=driver,
            ),
            "empty signature": await client.post(
                confirm, json={**good, "signature_png": base64.b64encode(png(False)).decode()}, headers=driver
            ),
            "absurd position": await client.post(confirm, json={**good, "latitude": 123.0}, headers=driver),
            "negative cash": await client.post(confirm, json={**good, "cash_minor": -5}, headers=driver),
            "other currency": await client.post(confirm, json={**good, "currency": "USD"}, headers=driver),
            "no cash said": await client.post(
                confirm, json={k: v for k, v in good.items() if k != "cash_minor"}, headers=driver
            ),
            "cash as text": await client.post(confirm, json={**good, "cash_minor": "250"}, headers=driver),
            "bad reason": await client.post(
                f"{url}/stops/{cod}/failed", json={"reason": "bored"}, headers=driver
            ),
            "absurd fix": await client.post(
                f"{url}/positions", json={"latitude": 0, "longitude": 0, "accuracy_m": 5}, headers=driver
            ),
            "huge photo": await client.post(
                confirm,
                data={k: str(v) for k, v in good.items()},
                files={"photo": ("x.jpg", b"\xff" * (9 * 1024 * 1024), "image/jpeg")},
                headers=driver,
            ),
        }
        read = (await client.get(url, headers=driver)).json()
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert early.status_code == 409  # never outside a started run
    assert statuses["stop not on run"] == 404
    assert statuses["cash as text"] == 400
    assert statuses["huge photo"] in (413, 422)
    for name in (
        "photo not an image",
        "empty signature",
        "absurd position",
        "negative cash",
        "other currency",
        "no cash said",
        "bad reason",
        "absurd fix",
    ):
        assert statuses[name] == 422, (name, answers[name].text)
        assert answers[name].headers["content-type"].startswith("application/problem+json")
    codes = {
        name: answers[name].json()["errors"][0]["code"]
        for name in ("photo not an image", "empty signature", "negative cash", "other currency")
    }
    assert codes == {
        "photo not an image": "proof_not_an_image",
        "empty signature": "signature_empty",
        "negative cash": "cash_invalid",
        "other currency": "currency_mismatch",
    }
    assert {stop["status"] for stop in read["stops"]} == {"pending"}
    assert read["last_position"] is None
    assert await count(harness, "order.delivered") == 0


async def test_a_stop_changed_since_the_phone_saw_it_is_a_conflict(harness: Harness, shop: Shop) -> None:
    driver = bearer(shop.drivers.main_token)
    async with harness.client() as client:
        run = await shop.plan(client, ("cod", "far"))
        url = f"/api/v1/runs/{run['id']}"
        await client.post(f"{url}/start", headers=driver)
        far = stop_of(run, shop.orders["far"])
        await client.post(f"{url}/stops/{far['id']}/failed", json={"reason": "refused"}, headers=driver)
        late = await client.post(
            f"{url}/stops/{far['id']}/delivered",
            json={
                "recipient": "Bob",
                "latitude": 48.8483,
                "longitude": 2.3958,
                "accuracy_m": 8,
                "version": far["version"],
            },
            headers=driver,
        )
    assert late.status_code == 409
    assert late.json()["code"] in {"stop_changed", "stop_done"}


async def test_a_delivery_order_placed_through_the_api_keeps_its_slot(harness: Harness) -> None:
    await build_shop(harness.db)
    token = await harness.token(Role.OWNER)
    base = {
        "customer": {"name": "Ada", "email": "ada@example.com"},
        "lines": [{"sku": "APPLE", "quantity": 1}],
        "fulfilment_mode": "delivery",
        "payment_method": "card",
        "address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"},
    }
    slot = {"start": "2026-12-14T14:00:00+01:00", "end": "2026-12-14T17:00:00+01:00"}
    async with harness.client() as client:
        placed = await client.post(
            "/api/v1/orders", json={**base, "delivery_slot": slot}, headers=bearer(token)
        )
        backwards = {"start": slot["end"], "end": slot["start"]}
        wrong = await client.post(
            "/api/v1/orders", json={**base, "delivery_slot": backwards}, headers=bearer(token)
        )
    assert placed.status_code == 201, placed.text
    assert wrong.status_code == 422
    async with harness.db.read() as session:
        groups = await reads.ready_for_delivery(session)  # not packed yet: not ready
        order = await session.get(Order, placed.json()["id"])
    assert groups == []
    assert order is not None
    assert order.delivery_slot_start is not None
    assert order.delivery_slot_start.astimezone(UTC).hour == 13
