"""Resolve who is asking (session cookie or bearer token) and in which language to answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from litestar.datastructures import Cookie, Headers, MutableScopeHeaders, State
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from backend.auth import service
from backend.auth.principal import Principal, hash_credential, principal_from_session, principal_from_token
from backend.auth.principal_cache import PrincipalCache
from backend.i18n.translation import choose_locale, current_locale, current_timezone
from backend.kernel.db import utcnow

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send
    from sqlalchemy.ext.asyncio import AsyncSession

    from backend.kernel.db import Database
    from backend.kernel.settings import Settings

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


async def _resolve(state: State, headers: Headers, path: str) -> tuple[Principal | None, str | None]:
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
        principal = await _cached(state, raw.strip(), principal_from_token)
        return principal, None if principal else "invalid_token"
    raw_cookie = _cookie_value(headers, SESSION_COOKIE)
    if not raw_cookie:
        return None, None
    lifetime = timedelta(hours=state.settings.session_absolute_hours)

    async def from_session(session: AsyncSession, raw: str) -> Principal | None:
        return await principal_from_session(session, raw, lifetime)

    principal = await _cached(state, raw_cookie, from_session)
    return principal, None if principal else "session_expired"


async def _cached(
    state: State, raw: str, load: Callable[[AsyncSession, str], Awaitable[Principal | None]]
) -> Principal | None:
    cache: PrincipalCache = state.principals
    principal = cache.get(hash_credential(raw))
    if principal is None:
        async with state.db.read() as session:
            principal = await load(session, raw)
        if principal is not None:
            cache.put(principal)
    return principal


class AuthenticationMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)
    exclude_path_pattern = ("^/static/", "^/health$", "^/favicon.ico$")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope["litestar_app"].state
        headers = Headers.from_scope(scope)
        principal, refusal = await _resolve(state, headers, scope["path"])
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
    async def _touch(state: State, principal: Principal) -> None:
        seen = principal.last_seen_at
        now = utcnow()
        if seen is not None and now - seen < TOUCH_AFTER:
            return
        settings: Settings = state.settings
        db: Database = state.db
        state.principals.touched(principal, now)
        if principal.via == "session":
            idle = timedelta(minutes=settings.session_idle_minutes)
            await service.touch_session(db, principal.credential_hash, idle)
        else:
            await service.touch_api_token(db, principal.credential_hash)
