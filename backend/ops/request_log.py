"""One JSON line per request: method, path, status, duration and who asked."""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware

from backend.ops.head import method_asked

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("comptoir.access")
# Path parameters that are secrets (a tracking link is its token): whoever reads the logs must not
# be able to follow, or call off, a shopper's order, join the team with an invitation link, or open
# a document shared by link.
SECRET_PATH_PARAMS = frozenset({"token"})
# Paths whose next segment is such a secret. Requests no route took (a link-preview bot's method,
# a mistyped tail) have no path parameters to go by, yet carry the same token.
SECRET_PATH_PREFIXES = ("/t/", "/invite/", "/d/")


def logged_path(scope: Scope) -> str:
    path = scope["path"]
    for name, value in scope.get("path_params", {}).items():
        if name in SECRET_PATH_PARAMS and value:
            path = path.replace(str(value), "…")
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix):
            _secret, slash, rest = path.removeprefix(prefix).partition("/")
            path = f"{prefix}…{slash}{rest}"
    return path


class RequestLogMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not log.isEnabledFor(logging.INFO):
            await next_app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, remember_status)
        except HTTPException as exc:  # answered by the exception handlers around this middleware
            status = exc.status_code
            raise
        finally:
            log.info(_line(scope, status, round((time.perf_counter() - started) * 1000, 2)))


def _line(scope: Scope, status: int, ms: float | None) -> str:
    principal = scope.get("user")
    return json.dumps(
        {
            "method": method_asked(scope),
            "path": logged_path(scope),
            "status": status,
            "ms": ms,
            "user": principal.user_id if principal else None,
            "client": scope["client"][0] if scope.get("client") else None,
        }
    )


async def log_unrouted(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook for requests no route took (an unknown path, a method the path does
    not take): Litestar answers them before any middleware runs, so the one above never sees them.
    Logged as they are answered, without a duration: nothing timed them."""
    routed = "route_handler" in scope
    if message["type"] == "http.response.start" and not routed and log.isEnabledFor(logging.INFO):
        log.info(_line(scope, message["status"], None))
