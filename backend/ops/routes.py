from __future__ import annotations

from litestar import Response, get

from backend.auth.web.guards import PUBLIC
from backend.ops.health import DatabaseProbe
from backend.ops.storage import RETRY_AFTER_SECONDS
from backend.web.dependencies import AppDb, Health


@get("/health", opt=PUBLIC, include_in_schema=False, cache_control=None)
async def health(db: AppDb, health: Health) -> Response[dict[str, str]]:
    probe: DatabaseProbe = health
    if not await probe.reachable(db):
        if probe.storage.failing:  # it answers, but cannot write: the disk is full or failing
            body = {"status": "unavailable", "database": "failing", "reason": probe.storage.failure or ""}
            return Response(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"})


ROUTES = [health]
