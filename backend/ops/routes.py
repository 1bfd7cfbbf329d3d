from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from backend.auth.guards import PUBLIC
from backend.ops.health import DatabaseProbe


@get("/health", opt=PUBLIC, include_in_schema=False, cache_control=None)
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    probe: DatabaseProbe = request.app.state.health
    if not await probe.reachable(request.app.state.db):
        return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"})


ROUTES = [health]
