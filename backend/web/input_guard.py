"""Input no route has to think about: every request passes here before its handler.

- A number in the path that no row can have (``/orders/9223372036854775808``) is a 404 at once,
  never a database error: every ``{name:int}`` path parameter of every route, present and future.
- A NUL character in the path, the query or a form field is a 400 naming the field: PostgreSQL
  cannot keep one and SQLite's full-text search fails on it.
- JSON bodies are decoded by one strict rule (``decode_body``): a number is a JSON number, never a
  string that looks like one; malformed, invalid UTF-8 or absurdly nested JSON is a 400; a NUL in
  any string is a 400 naming its field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.params import QueryParameter

from backend.i18n.translation import N_, gettext
from backend.web import inputs

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NUL_MESSAGE = N_("This contains a NUL character, which cannot be kept.")
NOT_JSON = N_("The body is not valid JSON.")
BAD_ID = N_("This is not the number of anything here.")

# A query parameter naming a row (``?customer=``): a number past what any id can be is a 400.
IdQuery = Annotated[int | None, QueryParameter(ge=1, le=inputs.MAX_ID)]


def _refuse_nul(name: str) -> ValidationException:
    message = gettext(NUL_MESSAGE)
    return ValidationException(f"{name}: {message}", extra=[{"key": name, "message": message}])


def optional_id(raw: str, name: str) -> int | None:
    """An id filter a page's query carries: empty means all; what names no row is a 400."""
    if not raw:
        return None
    if (found := inputs.parse_id(raw)) is None:
        message = gettext(BAD_ID)
        raise ValidationException(f"{name}: {message}", extra=[{"key": name, "message": message}])
    return found


def decode_body(body: bytes, shape: Any) -> Any:
    """``body`` as ``shape``, strictly: "5" is not 5, 1.5 is not 1. Litestar's own conversion is
    lenient, and a string where a number belongs is a client bug better refused than guessed."""
    try:
        raw = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raise ClientException(gettext(NOT_JSON)) from None
    if (where := inputs.nul_at(raw)) is not None:
        raise _refuse_nul(where)
    try:
        return msgspec.convert(raw, shape, strict=True)
    except msgspec.ValidationError as exc:
        raise ValidationException(str(exc), extra=[{"message": str(exc)}]) from None


class InputRequest(Request[Any, Any, Any]):
    """Every handler's request: JSON bodies are decoded strictly into the handler's ``data`` type."""

    async def json(self) -> Any:
        field = self.route_handler.parsed_data_field
        body = await self.body()
        if field is not None and field.is_optional and not body.strip():
            return None  # an optional body sent as blanks is no body
        return decode_body(body, field.annotation if field is not None else Any)


class InputGuardMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        for value in scope.get("path_params", {}).values():
            if isinstance(value, int) and not inputs.is_id(value):
                raise NotFoundException()
            if isinstance(value, str) and "\x00" in value:
                raise NotFoundException()
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                if "\x00" in name + value:
                    raise _refuse_nul(name.replace("\x00", ""))
        if scope["type"] == ScopeType.HTTP and _is_form(scope):
            await _check_form(Request(scope, receive))
        await next_app(scope, receive, send)


def _is_form(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1").lower().startswith(FORM_TYPES)
    return False


async def _check_form(request: Request[Any, Any, Any]) -> None:
    """The form is parsed once and kept on the request: handlers read the same one."""
    for name, value in (await request.form()).multi_items():
        if "\x00" in name or (isinstance(value, str) and "\x00" in value):
            raise _refuse_nul(name.replace("\x00", ""))
