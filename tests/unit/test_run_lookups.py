"""A tracking socket's run lookups (and a customer's socket's, for all their orders): read once,
kept until a delivery event other than a driver's position, and never kept when such an event came
while the read was under way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from backend.storefront import progress, run_lookups
from backend.storefront.run_lookups import RunLookups


class _Db:
    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[None]:
        yield None


def _event(type_: str) -> Any:
    return SimpleNamespace(type=type_)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    done: list[int] = []

    async def run_of(_session: object, order_id: int) -> int | None:
        done.append(order_id)
        return 7 if order_id == 1 else None

    monkeypatch.setattr(progress, "run_of", run_of)
    return done


async def test_an_answer_is_kept_until_a_delivery_event_other_than_a_position(reads: list[int]) -> None:
    lookups, db = RunLookups(), _Db()
    assert [await lookups.run_of(db, 1), await lookups.run_of(db, 1), await lookups.run_of(db, 2)] == [
        7,
        7,
        None,
    ]
    for kept in ("order.accepted", "delivery.position", "catalog.product_changed"):
        lookups.on_event(_event(kept))
        await lookups.run_of(db, 1)
    assert reads == [1, 2]
    lookups.on_event(_event("delivery.run_started"))
    assert await lookups.run_of(db, 1) == 7
    assert reads == [1, 2, 1]


async def test_an_accounts_runs_are_kept_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[int] = []

    async def runs_of_account(_session: object, user_id: int) -> set[int]:
        done.append(user_id)
        return {7, 8}

    monkeypatch.setattr(progress, "runs_of_account", runs_of_account)
    lookups, db = RunLookups(), _Db()
    assert await lookups.runs_of_account(db, 4) == {7, 8}
    lookups.on_event(_event("delivery.position"))
    assert await lookups.runs_of_account(db, 4) == {7, 8}
    assert done == [4]
    lookups.on_event(_event("delivery.dropped_off"))
    await lookups.runs_of_account(db, 4)
    assert done == [4, 4]


async def test_an_answer_read_across_a_delivery_event_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    lookups, db = RunLookups(), _Db()
    reading = asyncio.Event()
    answers = iter([None, 7])

    async def run_of(_session: object, _order_id: int) -> int | None:
        answer = next(answers)
        if answer is None:
            reading.set()
            await asyncio.sleep(0)  # the event arrives while this read is under way
        return answer

    monkeypatch.setattr(progress, "run_of", run_of)
    first = asyncio.create_task(lookups.run_of(db, 1))
    await reading.wait()
    lookups.on_event(_event("delivery.run_planned"))
    assert await first is None  # as read, older than the event
    assert await lookups.run_of(db, 1) == 7  # read again, not the answer from before the event


def test_the_answers_kept_are_bounded(monkeypatch: pytest.MonkeyPatch, reads: list[int]) -> None:
    monkeypatch.setattr(run_lookups, "LIMIT", 3)
    lookups, db = RunLookups(), _Db()
    for order_id in range(10):
        asyncio.run(lookups.run_of(db, order_id))
    assert len(lookups._known) <= 3
