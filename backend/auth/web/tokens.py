"""API token pages: each person's own tokens at /me/tokens, everyone's for the owner at /team/tokens."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth import rules, service, tokens
from backend.auth.models import ApiToken
from backend.auth.objects import own_rows
from backend.auth.principal import Principal
from backend.auth.principal_cache import PrincipalCache
from backend.auth.rules import Permission
from backend.auth.web import forms
from backend.auth.web.guards import requires, signed_in
from backend.idempotency.rules import RESULT_NOT_KEPT
from backend.idempotency.service import HandledBefore
from backend.kernel.db import Database, utcnow
from backend.web.dependencies import AppDb, CurrentPrincipal, Principals
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_users = requires(Permission.USERS_MANAGE)
MINE, EVERYONE = "/me/tokens", "/team/tokens"


async def _tokens_page(
    request: AnyRequest,
    db: Database,
    principal: Principal,
    *,
    everyone: bool = False,
    errors: FormErrors | None = None,
    status: int = 200,
    saved: str | None = None,
    created: str | None = None,
) -> Template:
    where = None if everyone else own_rows(principal, ApiToken.user_id)
    context = {
        "tokens": await tokens.list_tokens(db, where),
        "everyone": everyone,
        "base": EVERYONE if everyone else MINE,
        "may_create": principal.can(Permission.API_USE),
        "lifetimes": rules.TOKEN_LIFETIMES_DAYS,
        "default_days": rules.DEFAULT_TOKEN_DAYS,
        "status_labels": rules.TOKEN_STATUS_LABELS,
        "now": utcnow(),
        "errors": errors or FormErrors(),
        "saved": saved,
        "created": created,
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: a corrected form is a new request
    }
    # A page that shows a new token must never be kept by a cache, the browser's included.
    headers = {"Cache-Control": "no-store"}
    return page(request, "auth/tokens.html", context, status_code=status, headers=headers)


@get(MINE, guards=[signed_in])
async def my_tokens(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, saved: FromQuery[str | None] = None
) -> Template:
    return await _tokens_page(request, db, principal, saved=saved)


@get(EVERYONE, guards=[manage_users])
async def team_tokens(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, saved: FromQuery[str | None] = None
) -> Template:
    return await _tokens_page(request, db, principal, everyone=True, saved=saved)


@post(MINE, guards=[signed_in], opt={RESULT_NOT_KEPT: True})
async def create_token(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal
) -> Response[Any] | Template:
    """The token is shown in this answer only. A repeat of the form's idempotency key leads to
    the list instead: the key keeps no result, as it would hold the token."""
    form = await request.form()
    errors = FormErrors()
    try:
        expires_at = rules.token_expiry(forms.text(form, "expires", 40), utcnow())
    except ValueError:
        errors.add("expires", forms.message("bad_expiry"))
    if errors:
        return await _tokens_page(request, db, principal, errors=errors, status=400)
    try:
        raw = await service.create_api_token(
            db, principal.email, forms.text(form, "label", 1000), expires_at=expires_at
        )
    except HandledBefore:
        return see_other(f"{MINE}?saved=created")
    except service.AccountError as exc:
        errors.add(exc.field, forms.message(exc.code))
        return await _tokens_page(
            request, db, principal, errors=errors, status=403 if exc.code == "api_not_allowed" else 400
        )
    return await _tokens_page(request, db, principal, created=raw, status=201)


async def _revoke(
    db: Database, principal: Principal, principals: PrincipalCache, token_id: int, back: str
) -> Response[Any]:
    # Someone who cannot manage the team revokes only their own tokens.
    owner_id = None if principal.can(Permission.USERS_MANAGE) else principal.user_id
    try:
        token_hash = await tokens.revoke_token(db, token_id, principal.user_id, owner_id)
    except service.AccountError as exc:
        raise NotFoundException() from exc
    principals.forget(token_hash)  # at once here; other processes hear the event
    return see_other(f"{back}?saved=revoked")


@post(f"{MINE}/{{token_id:int}}/revoke", guards=[signed_in])
async def revoke_my_token(
    db: AppDb, principal: CurrentPrincipal, principals: Principals, token_id: FromPath[int]
) -> Response[Any]:
    return await _revoke(db, principal, principals, token_id, MINE)


@post(f"{EVERYONE}/{{token_id:int}}/revoke", guards=[manage_users])
async def revoke_any_token(
    db: AppDb, principal: CurrentPrincipal, principals: Principals, token_id: FromPath[int]
) -> Response[Any]:
    return await _revoke(db, principal, principals, token_id, EVERYONE)


ROUTES = [my_tokens, team_tokens, create_token, revoke_my_token, revoke_any_token]
