"""Web Push end to end: order events through the dispatcher to a push service of our own that
checks the VAPID token and decrypts each message as a browser would (``tests.push_service``).
Who hears what, in which language; what push services' answers do; a dispatcher killed mid-batch;
two dispatchers and their lease."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from backend.auth.models import PermissionOverride, User
from backend.auth.rules import Role
from backend.delivery.events import RunPlanned
from backend.inventory.events import Level, StockChanged
from backend.kernel.db import Database
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders import service as orders
from backend.orders.drafts import WantedLine
from backend.orders.rules import Actor
from backend.push import devices, service
from backend.push.dispatcher import Dispatcher
from backend.push.models import PushAlert, PushSubscription
from backend.push.service import BrowserSubscription, Owner, PushRefused
from backend.push.vapid import VapidKeys, generate_private_key
from tests.api.order_fixtures import actor_for, draft
from tests.domain.conftest import Floor
from tests.push_service import Device, PushService
from tests.writing import add

BREAD = [WantedLine("BREAD", 1)]  # backordered: as many orders as a test wants
NEW = ("new_order",)
KEYS = VapidKeys.from_raw(generate_private_key(), "mailto:push@shop.test")


@pytest.fixture
async def push() -> AsyncIterator[PushService]:
    service_ = await PushService(expected_key=KEYS.public_key).start()
    try:
        yield service_
    finally:
        await service_.stop()


async def subscribe(
    floor: Floor, owner: Owner, device: Device, locale: str = "en", kinds: tuple[str, ...] | None = None
) -> int:
    json = device.subscription()
    browser = BrowserSubscription(
        json["endpoint"], json["keys"]["p256dh"], json["keys"]["auth"], locale, kinds
    )
    return await floor.db.run(service.subscribe, owner, browser, True)


async def customer(floor: Floor, email: str = "cleo@example.com") -> Actor:
    user_id = await floor.db.run(
        add, User(email=email, name="Cleo", role=Role.CUSTOMER.value, password_hash="-")
    )
    return actor_for(Role.CUSTOMER, user_id)


def dispatcher(db: Database, **options: object) -> Dispatcher:
    settings = {"poll_seconds": 0.05, "late_after_minutes": None, "lease_seconds": 5.0, **options}
    return Dispatcher(db, KEYS, **settings)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running(*dispatchers: Dispatcher) -> AsyncIterator[list[asyncio.Task[None]]]:
    tasks = [asyncio.create_task(d.run_forever()) for d in dispatchers]
    try:
        yield tasks
    finally:
        for d in dispatchers:
            await d.stop()
        await asyncio.gather(*tasks, return_exceptions=True)


async def started(d: Dispatcher) -> None:
    """Let the dispatcher take its lease and its place in the log before events come."""
    for _ in range(200):
        if d.active and d.position is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the dispatcher never became active")


async def settled(floor: Floor) -> None:
    for _ in range(300):
        async with floor.db.read() as session:
            if await devices.pending(session) == 0:
                return
        await asyncio.sleep(0.02)
    raise AssertionError("notifications still queued")


async def test_an_order_tells_each_person_what_they_may_know_in_their_language(
    floor: Floor, push: PushService
) -> None:
    cleo = await customer(floor)
    owner, alice, driver, cleos, tracker = (push.new_device() for _ in range(5))
    await subscribe(floor, Owner(user_id=floor.owner.user_id), owner, "fr")
    await subscribe(floor, Owner(user_id=floor.alice.user_id), alice, "en")
    await subscribe(floor, Owner(user_id=floor.driver.user_id), driver, "en")
    await subscribe(floor, Owner(user_id=cleo.user_id), cleos, "fr")
    d = dispatcher(floor.db)
    async with running(d):
        await started(d)
        mine = await orders.place_order(floor.db, cleo, draft(channel="storefront"))
        anonymous = await orders.place_order(floor.db, Actor(None), draft(channel="storefront"))
        await subscribe(floor, Owner(order_id=anonymous.id), tracker, "en")
        await push.wait_for(4)
        await orders.accept_order(floor.db, floor.owner, mine.id)
        await orders.accept_order(floor.db, floor.owner, anonymous.id)
        await push.wait_for(6)
        await settled(floor)

    assert push.refused == []
    said = {
        dev: [(r.payload["kind"], r.payload["order_id"]) for r in push.of(dev)]
        for dev in push.devices.values()
    }
    assert sorted(said[owner]) == sorted([("new_order", mine.id), ("new_order", anonymous.id)])
    assert sorted(said[alice]) == sorted(said[owner])
    assert said[driver] == []  # a driver does not see orders
    assert said[cleos] == [("accepted", mine.id)]  # her own order only, and not its placing
    assert said[tracker] == [("accepted", anonymous.id)]  # the tracked order only

    french = next(r for r in push.of(owner) if r.payload["order_id"] == mine.id)
    assert french.payload["title"] == f"Nouvelle commande {mine.number}"
    assert french.payload["url"] == f"/orders/{mine.id}"
    assert french.payload["accept"]["version"] == 1
    assert (french.ttl, french.urgency, french.topic) == (600, "high", f"order-{mine.id}")
    english = next(r for r in push.of(alice) if r.payload["order_id"] == mine.id)
    assert english.payload["title"] == f"New order {mine.number}"
    accepted = push.of(cleos)[0]
    assert accepted.payload["title"] == f"Commande {mine.number} acceptée"
    assert (accepted.ttl, accepted.urgency, accepted.payload["tag"]) == (86400, "normal", f"order-{mine.id}")
    assert "url" not in push.of(tracker)[0].payload  # the tracking link is the shopper's alone


async def test_rights_are_those_of_the_moment_of_sending(floor: Floor, push: PushService) -> None:
    alice = push.new_device()
    await subscribe(floor, Owner(user_id=floor.alice.user_id), alice)
    await floor.db.run(
        add, PermissionOverride(user_id=floor.alice.user_id, permission="orders.view", granted=False)
    )
    bob = push.new_device()
    await subscribe(floor, Owner(user_id=floor.bruno.user_id), bob)
    d = dispatcher(floor.db)
    async with running(d):
        await started(d)
        await orders.place_order(floor.db, floor.owner, draft())
        await push.wait_for(1)
        await settled(floor)
    assert [r.device_id for r in push.received] == [bob.id]


async def test_a_driver_hears_of_their_own_runs_only(floor: Floor, push: PushService) -> None:
    other = await floor.db.run(add, User(email="d2@shop.test", name="Dora", role="driver", password_hash="-"))
    mine, theirs = push.new_device(), push.new_device()
    await subscribe(floor, Owner(user_id=floor.driver.user_id), mine)
    await subscribe(floor, Owner(user_id=other), theirs)
    d = dispatcher(floor.db)
    async with running(d):
        await started(d)
        await floor.db.run(_run_assigned, 7, floor.driver.user_id)
        await push.wait_for(1)
        await settled(floor)
    assert [(r.device_id, r.payload["kind"], r.topic) for r in push.received] == [(mine.id, "run", "run-7")]


def _run_assigned(tx: Tx, run_id: int, driver_id: int) -> None:
    record(tx, RunPlanned(driver=driver_id, day="2026-12-07", stops=3, orders=3), f"run:{run_id}", None)


async def test_subscribing_is_idempotent_and_kinds_are_bounded_by_rights(
    floor: Floor, push: PushService
) -> None:
    device = push.new_device()
    first = await subscribe(floor, Owner(user_id=floor.alice.user_id), device)
    again = await subscribe(
        floor, Owner(user_id=floor.alice.user_id), device, "fr", ("new_order", "accepted")
    )
    assert first == again
    async with floor.db.read() as session:
        [row] = await devices.devices_of(session, floor.alice.user_id)
    assert (row.locale, row.kinds) == ("fr", ("new_order",))  # staff have no orders of their own
    placed = await orders.place_order(floor.db, Actor(None), draft(channel="storefront"))
    with pytest.raises(PushRefused) as refused:
        await subscribe(floor, Owner(order_id=placed.id), push.new_device(), kinds=("new_order",))
    assert refused.value.problems == {"kinds": "not_allowed"}
    assert (
        await floor.db.run(service.unsubscribe, Owner(user_id=floor.bruno.user_id), device.endpoint) is False
    )
    assert (
        await floor.db.run(service.unsubscribe, Owner(user_id=floor.alice.user_id), device.endpoint) is True
    )


@pytest.mark.parametrize("status", [404, 410])
async def test_a_subscription_the_push_service_says_is_gone_is_deleted(
    floor: Floor, push: PushService, status: int
) -> None:
    gone, kept = push.new_device(), push.new_device()
    await subscribe(floor, Owner(user_id=floor.owner.user_id), gone)
    await subscribe(floor, Owner(user_id=floor.alice.user_id), kept)
    push.answer(gone, status)
    d = dispatcher(floor.db)
    async with running(d):
        await started(d)
        await orders.place_order(floor.db, floor.owner, draft())
        await push.wait_for(1)
        await settled(floor)
    async with floor.db.read() as session:
        endpoints = set(await session.scalars(select(PushSubscription.endpoint)))
    assert endpoints == {kept.endpoint}
    assert [a[2] for a in push.attempts if a[0] == gone.id] == [status]


async def test_too_big_is_skipped_and_server_errors_are_retried(floor: Floor, push: PushService) -> None:
    big, flaky = push.new_device(), push.new_device()
    await subscribe(floor, Owner(user_id=floor.owner.user_id), big)
    await subscribe(floor, Owner(user_id=floor.alice.user_id), flaky)
    push.answer(big, 413)
    push.answer(flaky, 500, retry_after="0")
    d = dispatcher(floor.db)
    async with running(d):
        await started(d)
        await orders.place_order(floor.db, floor.owner, draft())
        await push.wait_for(1)
        await settled(floor)
    assert [a[2] for a in push.attempts if a[0] == big.id] == [413]
    assert [a[2] for a in push.attempts if a[0] == flaky.id] == [500, 201]
    async with floor.db.read() as session:
        assert len(list(await session.scalars(select(PushSubscription.id)))) == 2


async def test_429_waits_as_long_as_retry_after_says(floor: Floor, push: PushService) -> None:
    device = push.new_device()
    await subscribe(floor, Owner(user_id=floor.owner.user_id), device)
    push.answer(device, 429, retry_after="2")
    d = dispatcher(floor.db)
    async with running(d):
        await started(d)
        await orders.place_order(floor.db, floor.owner, draft())
        await push.wait_for(1, within=10)
    (_, first, refused), (_, second, accepted) = push.attempts
    assert (refused, accepted) == (429, 201)
    assert second - first >= 2.0
    assert len(push.received) == 1


async def test_a_dead_push_service_holds_up_nobody(floor: Floor, push: PushService) -> None:
    dead_service = await PushService().start()
    try:
        dead, alive = dead_service.new_device(), push.new_device()
        dead_service.hang(dead)
        await subscribe(floor, Owner(user_id=floor.owner.user_id), dead, kinds=NEW)
        await subscribe(floor, Owner(user_id=floor.alice.user_id), alive, kinds=NEW)
        d = dispatcher(floor.db, timeout=60.0)
        async with running(d):
            await started(d)
            for _ in range(3):
                await orders.place_order(floor.db, floor.owner, draft(lines=BREAD))
            began = time.monotonic()
            received = await push.wait_for(3, within=30)
            assert len(received) == 3
            assert time.monotonic() - began < 30  # long before the dead one's 60 s are up
            await d.stop()
    finally:
        await dead_service.stop()


async def test_a_dispatcher_killed_mid_batch_loses_nothing_when_another_starts(
    floor: Floor, push: PushService
) -> None:
    staff = [push.new_device() for _ in range(3)]
    for device, who in zip(staff, (floor.owner, floor.alice, floor.bruno), strict=True):
        await subscribe(floor, Owner(user_id=who.user_id), device, kinds=NEW)
    push.delay = 0.01
    first = dispatcher(floor.db, lease_seconds=1.0, max_in_flight=8)
    task = asyncio.create_task(first.run_forever())
    await started(first)
    placed = [await orders.place_order(floor.db, floor.owner, draft(lines=BREAD)) for _ in range(15)]
    await push.wait_for(10)
    task.cancel()  # no stop, no settling, no lease released: as a crash leaves it
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert len(push.received) < 45
    more = [await orders.place_order(floor.db, floor.owner, draft(lines=BREAD)) for _ in range(5)]
    second = dispatcher(floor.db, lease_seconds=1.0)
    async with running(second):
        await push.wait_for(60, within=30)
        await settled(floor)
    heard = Counter((r.device_id, r.payload["order_id"]) for r in push.received)
    expected = {(device.id, order.id) for device in staff for order in (*placed, *more)}
    assert set(heard) == expected
    # Only what was on its way when the first one died may come twice.
    assert sum(heard.values()) - len(expected) <= 8


async def test_no_notification_is_sent_twice_without_a_crash(floor: Floor, push: PushService) -> None:
    staff = [push.new_device() for _ in range(2)]
    for device, who in zip(staff, (floor.owner, floor.alice), strict=True):
        await subscribe(floor, Owner(user_id=who.user_id), device, kinds=NEW)
    first = dispatcher(floor.db)
    async with running(first):
        await started(first)
        placed = [await orders.place_order(floor.db, floor.owner, draft(lines=BREAD)) for _ in range(5)]
        await push.wait_for(10)
        await settled(floor)
    second = dispatcher(floor.db)  # a restart after a clean stop
    async with running(second):
        await started(second)
        await orders.accept_order(floor.db, floor.owner, placed[0].id)
        await asyncio.sleep(0.3)
        await settled(floor)
    heard = Counter((r.device_id, r.payload["order_id"]) for r in push.received)
    assert len(heard) == 10
    assert set(heard.values()) == {1}


async def test_two_dispatchers_one_active_the_other_takes_over(floor: Floor, push: PushService) -> None:
    # Each with its own pool, as two processes would be (SQLite: one writer, so one Database).
    other_db = Database(floor.db.url) if floor.db.is_postgres else floor.db
    device = push.new_device()
    await subscribe(floor, Owner(user_id=floor.owner.user_id), device, kinds=NEW)
    a = dispatcher(floor.db, lease_seconds=1.0)
    b = dispatcher(other_db, lease_seconds=1.0)
    task_a = asyncio.create_task(a.run_forever())
    await started(a)
    try:
        async with running(b):
            for _ in range(10):
                await orders.place_order(floor.db, floor.owner, draft(lines=BREAD))
            await push.wait_for(10)
            await settled(floor)
            assert (a.active, b.active) == (True, False)
            task_a.cancel()  # the active one dies without a word
            with contextlib.suppress(asyncio.CancelledError):
                await task_a
            await started(b)
            for _ in range(5):
                await orders.place_order(floor.db, floor.owner, draft(lines=BREAD))
            await push.wait_for(15)
            await settled(floor)
        heard = Counter(r.payload["order_id"] for r in push.received)
        assert len(heard) == 15
        assert set(heard.values()) == {1}
    finally:
        if other_db is not floor.db:
            await other_db.dispose()


async def test_low_stock_is_told_once_while_it_lasts(floor: Floor, push: PushService) -> None:
    device = push.new_device()
    await subscribe(floor, Owner(user_id=floor.owner.user_id), device, "en", ("low_stock",))
    d = dispatcher(floor.db)
    async with running(d):
        await started(d)
        for free in (1, 0, 4, 2):  # low, still low, back above, low again
            await floor.db.run(_stock_changed, floor.shop.products["APPLE"], floor.shop.warehouse, free)
        await push.wait_for(2)
        await settled(floor)
    assert [r.payload["body"] for r in push.received] == [
        "1 left to sell at Entrepôt.",
        "2 left to sell at Entrepôt.",
    ]
    assert push.received[0].payload["title"] == "Running low: Apple"
    async with floor.db.read() as session:
        assert list(await session.scalars(select(PushAlert.key))) != []


def _stock_changed(tx: Tx, product_id: int, location_id: int, free: int) -> None:
    level = Level(product_id, location_id, on_hand=free, reserved=0, backordered=0, reorder_point=3)
    record(tx, StockChanged(levels=(level,), available={str(product_id): free}), f"stock:{product_id}", None)
