"""A handler's dependencies are resolved in the request's own task, one after the other: no task
is made for them (``backend.web.dependency_order``), and those that need another still get it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from litestar import Litestar, get
from litestar.di import NamedDependency, Provide

from backend.web.dependency_order import resolve_one_at_a_time


def _first() -> int:
    return 1


def _second() -> int:
    return 2


async def _third() -> int:
    return 3


def _after(first: NamedDependency[int], second: NamedDependency[int]) -> int:
    return first + second


@get("/four", sync_to_thread=False)
def four(
    first: NamedDependency[int],
    second: NamedDependency[int],
    third: NamedDependency[int],
    after: NamedDependency[int],
) -> dict[str, int]:
    return {"first": first, "second": second, "third": third, "after": after}


def _app() -> Litestar:
    provide = {
        name: Provide(fn, sync_to_thread=False) for name, fn in (("first", _first), ("second", _second))
    }
    provide |= {"third": Provide(_third), "after": Provide(_after, sync_to_thread=False)}
    return Litestar([four], dependencies=provide)


async def _tasks_made_by_a_request(app: Litestar) -> tuple[int, Any]:
    made = 0
    loop = asyncio.get_running_loop()
    before = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        nonlocal made
        made += 1
        return asyncio.Task(coro, loop=loop, **kwargs)

    # In this test's own loop (Litestar's test client runs the app in a loop of its own).
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        await client.get("/four")  # the first request builds what the handler needs
        loop.set_task_factory(counting)
        try:
            answer = await client.get("/four")
        finally:
            loop.set_task_factory(before)
    return made, answer


async def test_dependencies_make_no_task_of_their_own() -> None:
    resolve_one_at_a_time()
    made, answer = await _tasks_made_by_a_request(_app())
    assert answer.json() == {"first": 1, "second": 2, "third": 3, "after": 3}
    # Without it Litestar makes three tasks, one per independent dependency.
    assert made == 0
