"""Invitations: the owner invites staff and drivers from /team; the person invited opens the link
(``/invite/<token>``), sets a password and is signed in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.auth import invitations, service
from backend.auth.invitations import InvitationClosed, InvitationRejected
from backend.auth.rules import ROLE_LABELS, Permission, Role
from backend.auth.throttle import Throttle, TooManyAttempts, give_back, take_slot
from backend.auth.web import forms
from backend.auth.web.guards import PUBLIC, requires
from backend.auth.web.middleware import session_cookie
from backend.auth.web.team import render_team
from backend.i18n.translation import N_, gettext
from backend.idempotency.rules import NOT_KEYED, RESULT_NOT_KEPT
from backend.idempotency.service import HandledBefore
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from backend.web.dependencies import AppDb, AppSettings, CurrentPrincipal, Principals
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_users = requires(Permission.USERS_MANAGE)
INVITE_FIELDS = ("email", "name", "role")
NO_STORE = {"Cache-Control": "no-store"}  # the address holds the token

INVITATION_MESSAGES = {
    "role_not_invitable": N_("Choose staff or driver."),
    "email_taken": N_("This e-mail address already has an account."),
}
# Why a link cannot be used, and what to do about it.
CLOSED = {
    "unknown": (404, N_("This invitation link is not valid. Check that it was copied whole.")),
    "used": (410, N_("This invitation was already used. Sign in with the password chosen then.")),
    "expired": (410, N_("This invitation has expired. Ask the shop's owner for a new one.")),
    "revoked": (410, N_("This invitation was revoked. Ask the shop's owner if you should have one.")),
    "account_exists": (410, N_("An account with this e-mail address already exists: sign in instead.")),
}


def _message(code: str) -> str:
    return gettext(INVITATION_MESSAGES[code]) if code in INVITATION_MESSAGES else forms.message(code)


@post("/team/invitations", guards=[manage_users], opt={RESULT_NOT_KEPT: True})
async def create_invitation(
    request: AnyRequest, db: AppDb, settings: AppSettings, principal: CurrentPrincipal
) -> Response[Any] | Template:
    """The link is shown in this answer only; a repeat of the form's idempotency key leads to the
    team page instead, as the key keeps no result that would hold it."""
    form = await request.form()
    typed = {name: forms.text(form, name, 300) for name in INVITE_FIELDS}
    lifetime = timedelta(days=settings.invitation_days)
    try:
        _, raw = await invitations.invite(db, principal.user_id, lifetime=lifetime, **typed)
    except HandledBefore:
        return see_other("/team?saved=invited")
    except InvitationRejected as exc:
        errors = FormErrors()
        for field, code in exc.problems.items():
            errors.add(field, _message(code))
        return await render_team(request, db, settings, typed=typed, errors=errors, status=400)
    link = f"{settings.origin}/invite/{raw}"
    return await render_team(request, db, settings, link=link, invited=typed, status=201)


@post("/team/invitations/{invitation_id:int}/revoke", guards=[manage_users])
async def revoke_invitation(
    db: AppDb, principal: CurrentPrincipal, invitation_id: FromPath[int]
) -> Response[Any]:
    try:
        await invitations.revoke(db, principal.user_id, invitation_id)
    except service.AccountError as exc:
        raise NotFoundException() from exc
    return see_other("/team?saved=revoked")


def _throttle_key(request: AnyRequest) -> str:
    return f"invite:{request.client.host if request.client else 'unknown'}"


async def _throttled(request: AnyRequest, db: Database, settings: Settings) -> None:
    """Each address gets as many tries at invitation links as at signing in; opening a link that
    works gives its try back, so only guesses count."""
    throttle = Throttle(settings.login_attempts_per_window, timedelta(seconds=settings.login_window_seconds))
    await take_slot(db, [_throttle_key(request)], throttle)


def _closed(request: AnyRequest, code: str) -> Template:
    status, text = CLOSED.get(code, CLOSED["unknown"])
    context = {"message": gettext(text), "sign_in": code in ("used", "account_exists")}
    return page(request, "auth/invitation_closed.html", context, status_code=status, headers=NO_STORE)


def _too_many(request: AnyRequest, exc: TooManyAttempts) -> Template:
    context = {"message": forms.message(exc.code), "sign_in": False}
    headers = {**NO_STORE, "Retry-After": str(exc.retry_after)}
    return page(request, "auth/invitation_closed.html", context, status_code=429, headers=headers)


def _accept_page(
    request: AnyRequest, invitation: Any, errors: FormErrors | None = None, status: int = 200
) -> Template:
    context = {
        "invitation": invitation,
        "role_label": ROLE_LABELS[Role(invitation.role)],
        "errors": errors or FormErrors(),
    }
    return page(request, "auth/invitation.html", context, status_code=status, headers=NO_STORE)


@get("/invite/{token:str}", opt=PUBLIC)
async def invitation_page(
    request: AnyRequest, db: AppDb, settings: AppSettings, token: FromPath[str]
) -> Template:
    try:
        await _throttled(request, db, settings)
        invitation = await invitations.open_invitation(db, token)
    except TooManyAttempts as exc:
        return _too_many(request, exc)
    except InvitationClosed as exc:
        return _closed(request, exc.code)
    await give_back(db, _throttle_key(request))
    return _accept_page(request, invitation)


@post("/invite/{token:str}", opt={**PUBLIC, NOT_KEYED: True})
async def accept_invitation(
    request: AnyRequest, db: AppDb, settings: AppSettings, principals: Principals, token: FromPath[str]
) -> Response[Any] | Template:
    password = (await request.form()).get("password")
    try:
        await _throttled(request, db, settings)
        if not isinstance(password, str) or not password:
            raise service.AccountError("required", "password")
        _, raw = await invitations.accept(
            db,
            token,
            password,
            user_agent=request.headers.get("user-agent", ""),
            idle=timedelta(minutes=settings.session_idle_minutes),
        )
    except TooManyAttempts as exc:
        return _too_many(request, exc)
    except InvitationClosed as exc:
        return _closed(request, exc.code)
    except service.AccountError as exc:
        try:
            invitation = await invitations.open_invitation(db, token)
        except InvitationClosed as closed:
            return _closed(request, closed.code)
        errors = FormErrors()
        errors.add(exc.field, forms.message(exc.code))
        return _accept_page(request, invitation, errors, 400)
    previous = request.scope.get("user")
    if previous is not None and previous.via == "session":
        # Whoever was signed in on this browser is not the person who just joined.
        await service.sign_out(db, previous.credential_hash)
        principals.forget(previous.credential_hash)
    response = see_other("/")
    response.cookies.append(session_cookie(settings, raw, max_age=settings.session_absolute_hours * 3600))
    return response


ROUTES = [create_invitation, revoke_invitation, invitation_page, accept_invitation]
