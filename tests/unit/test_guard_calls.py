"""Guards are given the route's handler itself (``backend.web.guard_calls``), not a copy made per
guard and per request, and a guard that refuses still refuses."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar, get
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from backend.web.guard_calls import guards_share_the_handler

seen: list[BaseRouteHandler] = []


async def _remember(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    seen.append(handler)


async def _refuse_strangers(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if connection.headers.get("x-who") != "friend":
        raise PermissionDeniedException("strangers may not")


@get("/guarded", guards=[_remember, _refuse_strangers], sync_to_thread=False)
def guarded() -> dict[str, str]:
    return {"ok": "yes"}


async def test_guards_share_the_handler_and_still_refuse() -> None:
    guards_share_the_handler()
    seen.clear()
    app = Litestar([guarded], guards=[_remember])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        friend = await client.get("/guarded", headers={"x-who": "friend"})
        stranger = await client.get("/guarded")
    assert friend.json() == {"ok": "yes"}
    assert stranger.status_code == 403
    # The app's guard and the route's each saw it in both requests: one and the same handler
    # each time (Litestar's copies would be four different ones).
    assert len(seen) == 4
    assert all(handler is seen[0] for handler in seen)
    assert seen[0].handler_name == "guarded"
