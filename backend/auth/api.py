"""Account endpoints of the JSON API."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from backend.auth.guards import principal_of, signed_in
from backend.auth.schemas import MeOut


@get("/me", guards=[signed_in], summary="The account behind the bearer token")
async def api_me(request: Request[Any, Any, Any]) -> MeOut:
    principal = principal_of(request)
    return MeOut(
        email=principal.email,
        name=principal.name,
        role=principal.role.value,
        permissions=sorted(p.value for p in principal.permissions),
    )


ROUTES = [api_me]
