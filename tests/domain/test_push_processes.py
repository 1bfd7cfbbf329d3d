"""The push dispatcher across real processes: one killed mid-batch (SIGKILL, nothing settled, its
lease left to expire) and another started after it delivers every event's notifications, none lost;
two running at once on PostgreSQL, one active, the other taking over when the first dies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend.orders import service as orders
from backend.push.service import Owner
from backend.push.vapid import VapidKeys, generate_private_key
from tests.api.order_fixtures import draft
from tests.domain.conftest import Floor
from tests.domain.test_push_dispatch import BREAD, NEW, settled, subscribe
from tests.push_dispatcher_process import SUBJECT
from tests.push_service import PushService

ROOT = Path(__file__).resolve().parents[2]
PRIVATE_KEY = generate_private_key()
KEYS = VapidKeys.from_raw(PRIVATE_KEY, SUBJECT)


class Child:
    """A dispatcher process; it says when it holds the lease."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.active = False

    @classmethod
    async def start(cls, url: str, lease_seconds: float) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.push_dispatcher_process",
            url,
            PRIVATE_KEY,
            str(lease_seconds),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own group: killing it takes its SQLite writer along
        )
        child = cls(process)
        asyncio.get_running_loop().create_task(child._listen())
        return child

    async def _listen(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.active = line.strip() == b"active"

    async def until_active(self, within: float = 30.0) -> None:
        for _ in range(int(within / 0.05)):
            if self.active:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the dispatcher process never became active")

    async def kill(self) -> None:
        """As a crash: no stop, no settling, the lease kept until it expires."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()


@contextlib.asynccontextmanager
async def children() -> AsyncIterator[list[Child]]:
    started: list[Child] = []
    try:
        yield started
    finally:
        for child in started:
            await child.kill()


@pytest.fixture
async def push() -> AsyncIterator[PushService]:
    service = await PushService(expected_key=KEYS.public_key).start()
    try:
        yield service
    finally:
        await service.stop()


async def test_a_dispatcher_process_killed_mid_batch_loses_nothing_once_another_starts(
    floor: Floor, push: PushService
) -> None:
    staff = [push.new_device() for _ in range(3)]
    for device, who in zip(staff, (floor.owner, floor.alice, floor.bruno), strict=True):
        await subscribe(floor, Owner(user_id=who.user_id), device, kinds=NEW)
    push.delay = 0.05  # each message takes a while: the kill lands with some on their way
    async with children() as running:
        first = await Child.start(floor.db.url, lease_seconds=1.0)
        running.append(first)
        await first.until_active()
        placed = [await orders.place_order(floor.db, floor.owner, draft(lines=BREAD)) for _ in range(15)]
        await push.wait_for(6)
        await first.kill()
        assert len(push.received) < 45  # killed mid-batch
        more = [await orders.place_order(floor.db, floor.owner, draft(lines=BREAD)) for _ in range(5)]
        push.delay = 0.0
        second = await Child.start(floor.db.url, lease_seconds=1.0)
        running.append(second)
        await push.wait_for(60, within=60)
        await settled(floor)
    heard = Counter((r.device_id, r.payload["order_id"]) for r in push.received)
    expected = {(device.id, order.id) for device in staff for order in (*placed, *more)}
    assert set(heard) == expected
    # Only what was on its way when the first one died may come twice (8 in flight at most).
    assert sum(heard.values()) - len(expected) <= 8


async def test_two_dispatcher_processes_one_active_the_other_takes_over(
    floor: Floor, push: PushService
) -> None:
    if floor.db.is_sqlite:
        pytest.skip("several processes dispatching from one database: the PostgreSQL deployment")
    device = push.new_device()
    await subscribe(floor, Owner(user_id=floor.owner.user_id), device, kinds=NEW)
    async with children() as running:
        a = await Child.start(floor.db.url, lease_seconds=1.0)
        running.append(a)
        await a.until_active()
        b = await Child.start(floor.db.url, lease_seconds=1.0)
        running.append(b)
        for _ in range(10):
            await orders.place_order(floor.db, floor.owner, draft(lines=BREAD))
        await push.wait_for(10)
        await settled(floor)
        await asyncio.sleep(1.5)  # more than a lease: b has tried to take it, and a has renewed it
        assert (a.active, b.active) == (True, False)
        await a.kill()
        await b.until_active(within=10)
        for _ in range(5):
            await orders.place_order(floor.db, floor.owner, draft(lines=BREAD))
        await push.wait_for(15, within=30)
        await settled(floor)
    heard = Counter(r.payload["order_id"] for r in push.received)
    assert len(heard) == 15
    assert set(heard.values()) == {1}
