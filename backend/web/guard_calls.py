"""Guards given the route's handler itself, not a copy made for each of them.

Litestar calls each guard with ``copy(handler)``, so that a guard cannot change the handler the
next one sees. A handler has some fifty attributes, copied through ``copy.copy``'s generic path:
9 µs a copy, and an API route passes two guards (the API's and its own), on every request.
Comptoir's guards (``backend.auth.web.guards``, ``delivery.web.common``) read the connection and
never write to the handler, which is all the copy protects against.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler


async def _authorize(self: BaseRouteHandler, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    for guard in self.resolve_guards():
        await guard(connection, self)  # type: ignore[arg-type]


def guards_share_the_handler() -> None:
    """Apply to every handler (idempotent)."""
    if BaseRouteHandler.authorize_connection is not _authorize:
        BaseRouteHandler.authorize_connection = _authorize  # type: ignore[method-assign]
