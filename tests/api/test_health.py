from __future__ import annotations

from pathlib import Path

from backend.db import Database
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
