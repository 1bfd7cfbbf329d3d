"""Sign-in, sign-out and the "me" page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Template

from backend.auth import service
from backend.auth.principal import Principal
from backend.auth.throttle import Throttle, TooManyAttempts
from backend.auth.web import forms
from backend.auth.web.guards import PUBLIC, signed_in
from backend.auth.web.middleware import SESSION_COOKIE, session_cookie
from backend.idempotency.rules import NOT_KEYED
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from backend.web.dependencies import AppDb, AppSettings, CurrentPrincipal, Principals
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]


def _login_page(
    request: AnyRequest, next_url: str, email: str = "", errors: FormErrors | None = None, status: int = 200
) -> Template:
    context = {"next": next_url, "email": email, "errors": errors or FormErrors(), "notice": None}
    return page(request, "auth/login.html", context, status_code=status)


def _throttle(settings: Settings) -> Throttle:
    return Throttle(settings.login_attempts_per_window, timedelta(seconds=settings.login_window_seconds))


def _retry_later(response: Template, exc: TooManyAttempts) -> Template:
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@get("/login", opt=PUBLIC)
async def login_form(request: AnyRequest, next: FromQuery[str] = "/") -> Response[Any] | Template:
    if request.scope.get("user"):
        return see_other(forms.safe_next(next))
    return _login_page(request, forms.safe_next(next))


@post("/login", opt={**PUBLIC, NOT_KEYED: True})
async def login(
    request: AnyRequest, db: AppDb, settings: AppSettings, principals: Principals
) -> Response[Any] | Template:
    form = await request.form()
    email, password = forms.text(form, "email", 254), form.get("password")
    next_url = forms.safe_next(forms.text(form, "next", 2000))
    errors = FormErrors()
    if not email:
        errors.add("email", forms.message("required"))
    if not isinstance(password, str) or not password:
        errors.add("password", forms.message("required"))
    if errors:
        return _login_page(request, next_url, email, errors, 400)
    idle = timedelta(minutes=settings.session_idle_minutes)
    address = request.client.host if request.client else "unknown"
    try:
        _, raw = await service.sign_in(
            db,
            email=email,
            password=password,
            address=address,
            throttle=_throttle(settings),
            user_agent=request.headers.get("user-agent", ""),
            idle=idle,
        )
    except TooManyAttempts as exc:
        errors.add(None, forms.message(exc.code))
        return _retry_later(_login_page(request, next_url, email, errors, 429), exc)
    except service.AccountError as exc:
        errors.add(None, forms.message(exc.code))
        return _login_page(request, next_url, email, errors, 400)
    previous = request.scope.get("user")
    if previous is not None and previous.via == "session":
        # A browser that signs in again must not keep its old session alive beside the new one.
        await service.sign_out(db, previous.credential_hash)
        principals.forget(previous.credential_hash)
    response = see_other(next_url)
    response.cookies.append(session_cookie(settings, raw, max_age=settings.session_absolute_hours * 3600))
    return response


@post("/logout", guards=[signed_in])
async def logout(db: AppDb, principal: CurrentPrincipal, principals: Principals) -> Response[Any]:
    if principal.via == "session":
        await service.sign_out(db, principal.credential_hash)
        principals.forget(principal.credential_hash)
    response = see_other("/login")
    response.cookies.append(Cookie(key=SESSION_COOKIE, value="", path="/", max_age=0, httponly=True))
    return response


async def _me_page(
    request: AnyRequest,
    db: Database,
    principal: Principal,
    errors: FormErrors | None = None,
    status: int = 200,
    *,
    saved: str | None = None,
) -> Template:
    user = await service.get_user(db, principal.user_id)
    context = {"user": user, "errors": errors or FormErrors(), "saved": saved}
    return page(request, "auth/me.html", context, fragment="auth/_me_forms.html", status_code=status)


@get("/me", guards=[signed_in])
async def me_page(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, saved: FromQuery[str | None] = None
) -> Template:
    return await _me_page(request, db, principal, saved=saved)


@post("/me", guards=[signed_in])
async def update_me(request: AnyRequest, db: AppDb, principal: CurrentPrincipal) -> Response[Any] | Template:
    form = await request.form()
    errors = FormErrors()
    expected = forms.version(form, errors)
    locale = forms.locale(form, errors)
    if errors:
        return await _me_page(request, db, principal, errors, 400)
    try:
        await service.update_profile(db, principal.user_id, forms.text(form, "name", 500), locale, expected)
    except service.VersionConflict as exc:
        errors.add(None, forms.message(exc.code))
        return await _me_page(request, db, principal, errors, 409)
    except service.AccountError as exc:
        errors.add(exc.field, forms.message(exc.code))
        return await _me_page(request, db, principal, errors, 400)
    return see_other("/me?saved=profile")


@post("/me/password", guards=[signed_in], opt={NOT_KEYED: True})
async def change_my_password(
    request: AnyRequest, db: AppDb, settings: AppSettings, principal: CurrentPrincipal, principals: Principals
) -> Response[Any] | Template:
    form = await request.form()
    current, new = form.get("current_password"), form.get("new_password")
    errors = FormErrors()
    if not isinstance(current, str) or not current:
        errors.add("current_password", forms.message("required"))
    if not isinstance(new, str) or not new:
        errors.add("new_password", forms.message("required"))
    if errors:
        return await _me_page(request, db, principal, errors, 400)
    try:
        await service.change_password(
            db,
            principal.user_id,
            current,
            new,
            principal.credential_hash,
            throttle=_throttle(settings),
            revoke_tokens=bool(form.get("revoke_tokens")),
        )
    except TooManyAttempts as exc:
        errors.add("current_password", forms.message(exc.code))
        return _retry_later(await _me_page(request, db, principal, errors, 429), exc)
    except service.AccountError as exc:
        errors.add(exc.field, forms.message(exc.code))
        return await _me_page(request, db, principal, errors, 400)
    principals.forget_user(principal.user_id)  # its tokens, at once in this process
    return see_other("/me?saved=password")


ROUTES = [login_form, login, logout, me_page, update_me, change_my_password]
