"""Honour ``Idempotency-Key`` (header) or ``_idempotency_key`` (form field) on every mutation.

The middleware only reads the key and what the request means (its fingerprint) and hands them to
the request's change: ``Database.run`` runs that one command under the key (``RequestKey``), which
is claimed and answered in the command's own transaction (``service.run_keyed``). A replay gets the
first result instead of running the command again, and the handler answers from it as it did the
first time; the answer says ``Idempotent-Replayed: true``. The same key with a different request
gets a 422. Keys are scoped to the principal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, HTTPException
from litestar.middleware import ASGIMiddleware

from backend.i18n.translation import N_
from backend.idempotency import rules, service
from backend.kernel.db import UNKEYED, CommandRunner, command_key

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
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM_TYPES):
        form = await request.form()
        key = key or form.get(rules.FORM_FIELD)
        fields = [(name, _field_text(value)) for name, value in form.multi_items()]
        return key, rules.fingerprint_form(method, path, query, fields)
    if not key:  # nothing to fingerprint; the handler is then the only one to decode the body
        return None, ""
    if content_type.startswith(rules.JSON_TYPES) or not content_type:
        return key, rules.fingerprint_json(method, path, query, await request.body())
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


class SecondChange(RuntimeError):
    """A keyed request ran a second change: one user action is one command, or the key could not
    say which of them a replay stands for. Bookkeeping beside the change is ``db.unkeyed``."""


class RequestKey:
    """The key of one request, for its change (``backend.kernel.db.CommandKey``): the first command the
    request runs, bookkeeping aside. A command that raises wrote nothing, its claim included, so
    the key stays for the next."""

    def __init__(self, keyed: service.Keyed, *, keep: bool) -> None:
        self.keyed = keyed
        self.keep = keep
        self.used = False
        self.replayed = False
        self.open = True  # until the request's answer has gone

    def applies_to(self, fn: Callable[..., Any]) -> bool:
        if not self.open or getattr(fn, UNKEYED, False):
            return False
        if self.used:
            raise SecondChange(f"{fn.__qualname__} ran after the change of a keyed request")
        return True

    async def run(self, run: CommandRunner, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        try:
            replayed, result = await run(service.run_keyed, (self.keyed, self.keep, fn, args))
        except service.Mismatch:
            raise mismatch() from None
        except service.HandledBefore:
            self.used = self.replayed = True
            raise
        self.used, self.replayed = True, replayed
        return result


def mismatch() -> HTTPException:
    detail = N_("This idempotency key was already used for a different request.")
    return HTTPException(status_code=422, detail=detail)


def _route_flag(scope: Scope, flag: str) -> bool:
    handler = scope.get("route_handler")
    return handler is not None and bool(handler.opt.get(flag))


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["method"] not in rules.UNSAFE_METHODS or _route_flag(scope, rules.NOT_KEYED):
            await next_app(scope, receive, send)
            return
        keyed = await keyed_request(Request(scope, receive))
        if keyed is None:
            await next_app(scope, receive, send)
            return
        key = RequestKey(keyed, keep=not _route_flag(scope, rules.RESULT_NOT_KEPT))
        token = command_key.set(key)
        try:
            await next_app(scope, receive, _marking_replays(send, key))
        finally:
            key.open = False  # a task the request left behind makes no keyed change
            command_key.reset(token)


def _marking_replays(send: Send, key: RequestKey) -> Send:
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start" and key.replayed:
            headers = [*message.get("headers", []), (REPLAYED_HEADER.encode(), b"true")]
            message = {**message, "headers": headers}  # type: ignore[typeddict-item]
        await send(message)

    return marked
