"""Resolve who is asking (session cookie or bearer token) and in which language to answer."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from litestar.datastructures import Cookie, Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from backend.auth import service
from backend.auth.principal import Principal, principal_from_session, principal_from_token
from backend.db import utcnow
from backend.i18n import choose_locale, current_locale, current_timezone

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from backend.db import Database
    from backend.settings import Settings

SESSION_COOKIE = "comptoir_session"
# Refreshing "last seen" on every request would turn every page view into a write.
TOUCH_AFTER = timedelta(minutes=5)


def session_cookie(settings: Settings, value: str, max_age: int | None = None) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
        max_age=max_age,
    )


def _cookie_value(headers: Headers, name: str) -> str | None:
    for chunk in headers.getall("cookie", []):
        for pair in chunk.split(";"):
            key, _, value = pair.strip().partition("=")
            if key == name and value:
                return value
    return None


async def _resolve(
    db: Database, settings: Settings, headers: Headers, path: str
) -> tuple[Principal | None, str | None]:
    """The principal, and why there is none when credentials were presented but refused.

    The API takes bearer tokens only and pages take the session cookie only: the API is exempt
    from CSRF checks, so a cookie must never authenticate it.
    """
    if path.startswith("/api/"):
        authorization = headers.get("authorization")
        if not authorization:
            return None, None
        scheme, _, raw = authorization.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return None, "invalid_token"
        async with db.read() as session:
            principal = await principal_from_token(session, raw.strip())
        return principal, None if principal else "invalid_token"
    raw_cookie = _cookie_value(headers, SESSION_COOKIE)
    if not raw_cookie:
        return None, None
    lifetime = timedelta(hours=settings.session_absolute_hours)
    async with db.read() as session:
        principal = await principal_from_session(session, raw_cookie, lifetime)
    return principal, None if principal else "session_expired"


class AuthenticationMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)
    exclude_path_pattern = ("^/static/", "^/health$", "^/favicon.ico$")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope["litestar_app"].state
        headers = Headers.from_scope(scope)
        principal, refusal = await _resolve(state.db, state.settings, headers, scope["path"])
        scope["user"] = principal
        scope["auth"] = refusal
        locale = choose_locale(principal.locale if principal else None, headers.get("accept-language"))
        token = current_locale.set(locale)
        zone = current_timezone.set(state.shop.current.timezone)
        try:
            await next_app(scope, receive, self._wrap_send(send, state.settings, refusal))
        finally:
            current_locale.reset(token)
            current_timezone.reset(zone)
        if principal is not None:
            await self._touch(state, principal)

    @staticmethod
    def _wrap_send(send: Send, settings: Settings, refusal: str | None) -> Send:
        if refusal != "session_expired":
            return send

        async def forget_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = session_cookie(settings, "", max_age=0)
                MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
            await send(message)

        return forget_cookie

    @staticmethod
    async def _touch(state: object, principal: Principal) -> None:
        seen = principal.last_seen_at
        if seen is not None and utcnow() - seen < TOUCH_AFTER:
            return
        settings: Settings = state.settings  # type: ignore[attr-defined]
        db: Database = state.db  # type: ignore[attr-defined]
        if principal.via == "session":
            idle = timedelta(minutes=settings.session_idle_minutes)
            await service.touch_session(db, principal.credential_hash, idle)
        else:
            await service.touch_api_token(db, principal.credential_hash)
