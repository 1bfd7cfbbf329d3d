"""Account endpoints of the JSON API."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get, patch
from litestar.exceptions import ValidationException

from backend.auth import service
from backend.auth.models import User
from backend.auth.principal import Principal
from backend.auth.web.guards import signed_in
from backend.auth.web.schemas import ME_EXAMPLE, ME_PATCH_EXAMPLE, MeOut, MePatch
from backend.web.api_contract import answers, request_body
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.responses import problem


def _me(principal: Principal, user: User) -> MeOut:
    return MeOut(
        email=user.email,
        name=user.name,
        role=user.role,
        permissions=sorted(p.value for p in principal.permissions),
        locale=user.locale,
        version=user.version,
    )


@get(
    "/me",
    guards=[signed_in],
    summary="The account behind the bearer token",
    responses=answers(200, MeOut, example=ME_EXAMPLE, description="The account"),
)
async def api_me(db: AppDb, principal: CurrentPrincipal) -> MeOut:
    return _me(principal, await service.get_user(db, principal.user_id))


@patch(
    "/me",
    guards=[signed_in],
    summary="Change your name or language",
    status_code=200,
    responses=answers(
        200, MeOut, 409, 422, writes=True, example=ME_EXAMPLE, description="The account changed"
    ),
)
async def api_update_me(
    db: AppDb, principal: CurrentPrincipal, data: Annotated[MePatch, request_body(ME_PATCH_EXAMPLE)]
) -> Any:
    current = await service.get_user(db, principal.user_id)
    name = current.name if data.name is msgspec.UNSET else data.name
    locale = current.locale if data.locale is msgspec.UNSET else data.locale
    try:
        user = await service.update_profile(db, principal.user_id, name, locale, data.version)
    except service.VersionConflict as exc:
        return problem(409, "The account changed since you read it.", current_version=exc.current_version)
    except service.AccountError as exc:
        raise ValidationException(exc.code, extra=[{"key": exc.field, "message": exc.code}]) from exc
    return _me(principal, user)


ROUTES = [api_me, api_update_me]
