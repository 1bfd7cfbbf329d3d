from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from sqlalchemy import text

from backend.auth.guards import PUBLIC


@get("/health", opt=PUBLIC, include_in_schema=False, cache_control=None)
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    try:
        async with request.app.state.db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        return Response({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"})


ROUTES = [health]
