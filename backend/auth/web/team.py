"""The owner's page to see the team, invite people and widen or narrow each member's permissions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth import invitations, rules, service
from backend.auth.rules import Permission, Role
from backend.auth.web import forms
from backend.auth.web.guards import requires
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from backend.web.dependencies import AppDb, AppSettings, CurrentPrincipal, Principals
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_users = requires(Permission.USERS_MANAGE)


async def render_team(
    request: AnyRequest,
    db: Database,
    settings: Settings,
    *,
    typed: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    saved: str | None = None,
    link: str | None = None,
    invited: Mapping[str, str] | None = None,
) -> Template:
    """The team, the invitations and the form to invite someone. ``link``: a new invitation's,
    shown in this answer only."""
    context = {
        "members": await service.list_team(db),
        "adjustable": rules.ADJUSTABLE_ROLES,
        "invitations": await invitations.list_invitations(db),
        "invitable": rules.INVITABLE_ROLES,
        "invitation_labels": rules.INVITATION_STATUS_LABELS,
        "invitation_days": settings.invitation_days,
        "typed": typed or {"role": Role.STAFF.value},
        "errors": errors or FormErrors(),
        "saved": saved,
        "link": link,
        "invited": invited,
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: a corrected form is a new request
    }
    # A page that shows a new link must never be kept by a cache, the browser's included.
    return page(request, "auth/team.html", context, status_code=status, headers={"Cache-Control": "no-store"})


@get("/team", guards=[manage_users])
async def team_page(
    request: AnyRequest, db: AppDb, settings: AppSettings, saved: FromQuery[str | None] = None
) -> Template:
    return await render_team(request, db, settings, saved=saved)


async def _permissions_page(
    request: AnyRequest,
    db: Database,
    user_id: int,
    errors: FormErrors | None = None,
    status: int = 200,
    *,
    saved: bool = False,
) -> Template:
    found = await service.member_permissions(db, user_id)
    if found is None:
        raise NotFoundException()
    member, overrides = found
    context = {
        "member": member,
        "granted": rules.effective_permissions(Role(member.role), overrides),
        "defaults": rules.ROLE_PERMISSIONS[Role(member.role)],
        "grantable": sorted(rules.GRANTABLE),
        "errors": errors or FormErrors(),
        "saved": saved,
    }
    return page(request, "auth/permissions.html", context, status_code=status)


@get("/team/{user_id:int}/permissions", guards=[manage_users])
async def permissions_page(
    request: AnyRequest, db: AppDb, user_id: FromPath[int], saved: FromQuery[bool] = False
) -> Template:
    return await _permissions_page(request, db, user_id, saved=saved)


@post("/team/{user_id:int}/permissions", guards=[manage_users])
async def save_permissions(
    request: AnyRequest,
    db: AppDb,
    principal: CurrentPrincipal,
    principals: Principals,
    user_id: FromPath[int],
) -> Response[Any] | Template:
    form = await request.form()
    errors = FormErrors()
    expected = forms.version(form, errors)
    wanted: set[Permission] = set()
    for raw in form.getall("permission", []):
        try:
            wanted.add(Permission(raw))
        except ValueError:
            errors.add(None, forms.message("unknown_permission"))
    if errors:
        return await _permissions_page(request, db, user_id, errors, 400)
    try:
        await service.set_permissions(db, principal.user_id, user_id, wanted, expected)
    except service.VersionConflict as exc:
        errors.add(None, forms.message(exc.code))
        return await _permissions_page(request, db, user_id, errors, 409)
    except service.AccountError as exc:
        if exc.code == "not_found":
            raise NotFoundException() from exc
        errors.add(None, forms.message(exc.code))
        return await _permissions_page(request, db, user_id, errors, 400)
    # At once in this process; the event tells the others.
    principals.forget_user(user_id)
    return see_other(f"/team/{user_id}/permissions?saved=true")


ROUTES = [team_page, permissions_page, save_permissions]
