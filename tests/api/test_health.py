from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import event

from backend.kernel.db import Database
from backend.kernel.numbering import Counter
from backend.ops.health import PROBE_COUNTER
from tests.api.conftest import Harness


async def test_health_reports_the_database_as_reachable(harness: Harness) -> None:
    async with harness.client() as client:
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_answers_503_when_the_database_is_unreachable(harness: Harness, tmp_path: Path) -> None:
    working = harness.app.state.db
    harness.app.state.db = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'nowhere.db'}")
    try:
        async with harness.client() as client:
            response = await client.get("/health")
    finally:
        await harness.app.state.db.dispose()
        harness.app.state.db = working
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


async def test_the_openapi_schema_describes_the_api_and_no_pages(harness: Harness) -> None:
    async with harness.client() as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/me" in paths
    assert all(path.startswith("/api/v1/") for path in paths), sorted(paths)


async def test_checks_that_arrive_together_share_one_look_at_the_database(harness: Harness) -> None:
    looks: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement == "SELECT 1":
            looks.append(statement)

    engine = harness.app.state.db.read_engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with harness.client() as client:
            together = await asyncio.gather(*(client.get("/health") for _ in range(20)))
            shared = len(looks)
            one_by_one = [await client.get("/health") for _ in range(3)]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert {response.status_code for response in together + one_by_one} == {200}
    assert 1 <= shared <= 5  # each check takes hops to a connection's thread: the others wait for it
    assert len(looks) == shared + 3  # a check that has ended is never reused


async def test_after_a_write_failed_for_want_of_space_health_writes_before_it_says_ok(
    harness: Harness,
) -> None:
    storage = harness.app.state.storage
    storage.failed(OSError(28, "No space left on device"))
    async with harness.client() as client:
        response = await client.get("/health")
    assert response.status_code == 200  # this disk has room: the check found it, and wrote
    assert not storage.failing
    async with harness.db.read() as session:
        counter = await session.get(Counter, PROBE_COUNTER)
    assert counter is not None
    assert counter.value == 1
