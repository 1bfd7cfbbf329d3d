"""Shared view helpers: page-or-fragment rendering, form errors, problem JSON, error handlers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from backend.i18n.translation import N_, choose_locale, current_locale, format_bytes, gettext
from backend.ops.storage import RETRY_AFTER_SECONDS, StorageState, storage_failure
from backend.web import dependencies

log = logging.getLogger("comptoir.web")

PROBLEM_MEDIA_TYPE = "application/problem+json"

STATUS_TITLES = {
    400: N_("The request could not be understood"),
    401: N_("Please sign in"),
    403: N_("You are not allowed to do that"),
    404: N_("This page does not exist"),
    405: N_("This action is not available here"),
    409: N_("This changed in the meantime"),
    413: N_("What you sent is too large"),
    415: N_("This kind of content is not accepted"),
    422: N_("Some information is not valid"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is not available right now"),
}
OTHER_ERROR = N_("Error")


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """API paths always speak JSON; elsewhere, only a client that asks for JSON over HTML."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return ("json" in accept) and ("text/html" not in accept)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """An RFC 9457 problem body."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or gettext(STATUS_TITLES.get(status, OTHER_ERROR)),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {}))


class FieldMessages(dict[str, str]):
    """Field name → message; a field without one reads as None, so a template may write
    ``errors.fields[name]`` (an item, where ``.get(name)`` is a call, several times dearer in Jinja)."""

    def __missing__(self, name: str) -> None:
        return None


@dataclass
class FormErrors:
    """Field name → message, plus messages that belong to the whole form."""

    fields: dict[str, str] = field(default_factory=FieldMessages)
    general: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.fields, FieldMessages):
            self.fields = FieldMessages(self.fields)

    def add(self, name: str | None, message: str) -> None:
        if name:
            self.fields.setdefault(name, message)
        else:
            self.general.append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def page(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """A full page, or only ``fragment`` when htmx asks for a part of one."""
    name = fragment if fragment and is_htmx(request) else template
    return Template(
        template_name=name, context=dict(context or {}), status_code=status_code, headers=dict(headers or {})
    )


def see_other(url: str) -> Redirect:
    return Redirect(url, status_code=HTTP_303_SEE_OTHER)


TOO_LARGE = N_("At most %(size)s can be sent at once.")


def body_limit(request: Request[Any, Any, Any]) -> str:
    """The largest body this app takes (``COMPTOIR_MAX_BODY_BYTES``), as people read sizes."""
    return format_bytes(dependencies.settings_of(request.scope).max_body_bytes)


def _detail_of(request: Request[Any, Any, Any], exc: HTTPException) -> str | None:
    if exc.status_code == 413:
        return gettext(TOO_LARGE, size=body_limit(request))
    detail = exc.detail
    if not detail or detail == STATUS_TITLES.get(exc.status_code):
        return None
    return gettext(detail)


def _error_page(request: Request[Any, Any, Any], status: int, detail: str | None) -> Template:
    context = {"status": status, "title": gettext(STATUS_TITLES.get(status, OTHER_ERROR)), "detail": detail}
    return Template(template_name="errors/error.html", context=context, status_code=status)


def _sign_in_page(request: Request[Any, Any, Any]) -> Template:
    expired = request.scope.get("auth") == "session_expired"
    query = request.url.query
    context = {
        "next": request.url.path + (f"?{query}" if query else "") if request.method == "GET" else "/",
        "notice": gettext(N_("Your session has ended. Please sign in again.")) if expired else None,
        "errors": FormErrors(),
        "email": "",
    }
    headers = {"HX-Redirect": "/login"} if is_htmx(request) else {}
    return Template(template_name="auth/login.html", context=context, status_code=401, headers=headers)


def _adopt_browser_locale(request: Request[Any, Any, Any]) -> None:
    """Requests that matched no route never passed the middleware that picks the language."""
    if "user" not in request.scope:
        current_locale.set(choose_locale(None, request.headers.get("accept-language")))


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    _adopt_browser_locale(request)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status >= 500:
        log.error("server error on %s %s: %s", request.method, request.url.path, exc.detail)
    if wants_json(request):
        extra: dict[str, Any] = {}
        if isinstance(exc, ValidationException) and exc.extra:
            extra["errors"] = exc.extra
        if isinstance(exc, NotAuthorizedException):
            headers.setdefault("WWW-Authenticate", 'Bearer realm="comptoir"')
        return problem(status, _detail_of(request, exc), headers=headers, **extra)
    if isinstance(exc, NotAuthorizedException):
        return _sign_in_page(request)
    response = _error_page(request, status, _detail_of(request, exc))
    response.headers.update(headers)
    return response


STORAGE_FAILING = N_(
    "The server cannot save anything right now: its disk is full or failing. Nothing was saved; "
    "please try again in a minute."
)


def _storage_failing(request: Request[Any, Any, Any], failure: BaseException) -> Response[Any]:
    """A full or failing disk: a 503 saying so, and one log line (not a traceback per request)."""
    log.error("cannot write for %s %s: %s", request.method, request.url.path, failure)
    state: StorageState | None = dependencies.storage_of(request.scope)
    if state is not None:
        state.failed(failure)
    _adopt_browser_locale(request)
    status, headers = HTTP_503_SERVICE_UNAVAILABLE, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json(request):
        return problem(status, gettext(STORAGE_FAILING), headers=headers)
    response = _error_page(request, status, gettext(STORAGE_FAILING))
    response.headers.update(headers)
    return response


def handle_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if (failure := storage_failure(exc)) is not None:
        return _storage_failing(request, failure)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    status = HTTP_500_INTERNAL_SERVER_ERROR
    if wants_json(request):
        return problem(status)
    return _error_page(request, status, None)


EXCEPTION_HANDLERS = {HTTPException: handle_http_exception, Exception: handle_internal_error}
