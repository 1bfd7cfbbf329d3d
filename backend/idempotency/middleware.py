"""Honour ``Idempotency-Key`` (header) or ``_idempotency_key`` (form field) on every mutation.

The same key with the same request answers the stored response; with a different request, 422;
while the first is still being handled, 409. Keys are scoped to the principal.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException
from litestar.middleware import ASGIMiddleware

from backend.i18n import N_
from backend.idempotency import rules, service

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REPLAYED_HEADER = "idempotent-replayed"


def _principal_scope(scope: Scope, request: Request[Any, Any, Any]) -> str | None:
    principal = scope.get("user")
    if principal is not None:
        return f"user:{principal.user_id}"
    # Anonymous visitors (e.g. a storefront checkout) are told apart by their CSRF cookie.
    csrf = request.cookies.get("csrftoken")
    return "anon:" + hashlib.sha256(csrf.encode()).hexdigest()[:40] if csrf else None


async def _key_and_fingerprint(request: Request[Any, Any, Any]) -> tuple[str | None, str]:
    method, path, query = request.method, request.url.path, request.url.query or ""
    key = request.headers.get("idempotency-key")
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        key = key or form.get(rules.FORM_FIELD)
        fields = [(name, _field_text(value)) for name, value in form.multi_items()]
        return key, rules.fingerprint_form(method, path, query, fields)
    return key, rules.fingerprint_raw(method, path, query, await request.body())


def _field_text(value: Any) -> str:
    if isinstance(value, UploadFile):
        return f"file:{value.filename}:{value.content_type}"
    return str(value)


async def keyed_request(request: Request[Any, Any, Any]) -> service.Keyed | None:
    """The request's key, principal and fingerprint; None when it carries no key (or nobody can
    be told apart). Raises a 400 for a key that cannot be one."""
    key, fingerprint = await _key_and_fingerprint(request)
    principal = _principal_scope(request.scope, request)
    if not key or principal is None:
        return None
    if not isinstance(key, str) or not rules.is_valid_key(key):
        raise ClientException(N_("The idempotency key must be 1 to 200 printable characters."))
    return service.Keyed(principal, key, fingerprint)


async def claim_for(request: Request[Any, Any, Any]) -> service.Claimed | service.Replay | None:
    """For a handler that keeps its own key (a secret shown once must never be stored): the claimed
    key, the replay of its earlier answer, or None when the request carries no key."""
    keyed = await keyed_request(request)
    if keyed is None:
        return None
    try:
        return await service.claim(request.app.state.db, keyed)
    except (service.Mismatch, service.InFlight) as exc:
        raise refusal(exc) from None


def refusal(exc: service.Mismatch | service.InFlight) -> HTTPException:
    """The answer to a key used for another request, or to a duplicate of one still running."""
    if isinstance(exc, service.Mismatch):
        detail = N_("This idempotency key was already used for a different request.")
        return HTTPException(status_code=422, detail=detail)
    return HTTPException(
        status_code=409, detail=N_("A request with this idempotency key is still being processed.")
    )


def handles_its_own_key(scope: Scope) -> bool:
    """Routes whose handler claims the key inside its own transaction (``rules.OWN_KEY``)."""
    handler = scope.get("route_handler")
    return handler is not None and bool(handler.opt.get(rules.OWN_KEY))


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["method"] not in rules.UNSAFE_METHODS or handles_its_own_key(scope):
            await next_app(scope, receive, send)
            return
        keyed = await keyed_request(Request(scope, receive))
        if keyed is None:
            await next_app(scope, receive, send)
            return
        db = scope["litestar_app"].state.db
        try:
            outcome = await service.claim(db, keyed)
        except (service.Mismatch, service.InFlight) as exc:
            raise refusal(exc) from None
        if isinstance(outcome, service.Replay):
            await _send_replay(send, outcome)
            return
        recorder = ResponseRecorder(send)
        try:
            await next_app(scope, receive, recorder.send)
        except BaseException:
            await service.abandon(db, outcome)
            raise
        if recorder.status >= 500:
            await service.abandon(db, outcome)  # a server failure may be retried with the same key
            return
        await service.complete(db, outcome, recorder.status, recorder.headers, bytes(recorder.body))


class ResponseRecorder:
    """Passes the response through to the client while keeping a copy to replay later."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500
        self.headers: list[list[str]] = []
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = rules.kept_headers(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))
        await self._send(message)


async def _send_replay(send: Send, replay: service.Replay) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in replay.headers]
    headers.append((REPLAYED_HEADER.encode(), b"true"))
    headers.append((b"content-length", str(len(replay.body)).encode()))
    await send({"type": "http.response.start", "status": replay.status, "headers": headers})
    await send({"type": "http.response.body", "body": replay.body, "more_body": False})
