"""What the JSON API publishes about its answers, built in one place: every operation documents its
success body and each error status it can answer, all errors as one RFC 9457 problem shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from litestar import Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Example
from litestar.params import Body, Parameter

from backend.web.inputs import MAX_ID
from backend.web.responses import PROBLEM_MEDIA_TYPE, STATUS_TITLES

_ID_RANGE = Parameter(ge=1, le=MAX_ID)
RowId = Annotated[int, _ID_RANGE]


class ProblemItem(msgspec.Struct, omit_defaults=True):
    """One thing wrong with the request: ``key`` names the field or parameter when there is one."""

    message: str
    key: str | msgspec.UnsetType = msgspec.UNSET
    code: str | msgspec.UnsetType = msgspec.UNSET
    source: str | msgspec.UnsetType = msgspec.UNSET


class ShortLine(msgspec.Struct):
    sku: str
    wanted: int
    available: int


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem. Besides the standard members, an answer carries what a client needs to
    act on it: the field errors, or the current version and state of what changed meanwhile."""

    type: str
    title: str
    status: int
    detail: str | msgspec.UnsetType = msgspec.UNSET
    instance: str | msgspec.UnsetType = msgspec.UNSET
    errors: list[ProblemItem] | msgspec.UnsetType = msgspec.UNSET
    code: str | msgspec.UnsetType = msgspec.UNSET
    current_version: int | msgspec.UnsetType = msgspec.UNSET
    current_status: str | msgspec.UnsetType = msgspec.UNSET
    current: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    short_lines: list[ShortLine] | msgspec.UnsetType = msgspec.UNSET
    location: str | msgspec.UnsetType = msgspec.UNSET
    order_id: int | msgspec.UnsetType = msgspec.UNSET
    number: str | msgspec.UnsetType = msgspec.UNSET
    on_hand: int | msgspec.UnsetType = msgspec.UNSET
    reserved: int | msgspec.UnsetType = msgspec.UNSET


WHY = {
    400: "The request is malformed: a parameter or body of the wrong type, or an unreadable cursor.",
    401: "No bearer token, or one the server does not accept.",
    403: "The token's account lacks the permission this operation needs.",
    404: "What the path or body names does not exist.",
    409: "A conflict: the resource changed since it was read, a unique value is taken, or the "
    "request of this Idempotency-Key was handled before and its answer is not kept.",
    413: "The request body is larger than the server accepts.",
    422: "The request is well formed but its values are refused; ``errors`` says which and why, or the "
    "Idempotency-Key was used for another request.",
    429: "Too many attempts: wait for the time given in Retry-After.",
}

SAMPLE_DETAILS: dict[int, dict[str, Any]] = {
    400: {
        "detail": "Validation failed for GET /api/v1/orders",
        "errors": [{"message": "Expected `int`, got `str`", "key": "limit", "source": "query"}],
    },
    401: {},
    403: {},
    404: {"detail": "No order 42."},
    409: {
        "detail": "The order changed since you read it.",
        "current_version": 3,
        "current_status": "accepted",
    },
    413: {},
    422: {
        "detail": "Quantity must be at least 1.",
        "errors": [{"key": "lines", "message": "Quantity must be at least 1.", "code": "bad_quantity"}],
    },
    429: {},
}

# Every API operation needs a token with a permission and reads parameters; every change also reads
# a body (the size limit) and honours Idempotency-Key (a key reused or still running).
READ_ERRORS = (400, 401, 403)
WRITE_ERRORS = (*READ_ERRORS, 409, 413, 422)


def _problem_example(status: int) -> Example:
    title = str(STATUS_TITLES[status])
    value = {"type": "about:blank", "title": title, "status": status, **SAMPLE_DETAILS[status]}
    return Example(summary=title, value=value)


def _problem(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=WHY[status],
        media_type=PROBLEM_MEDIA_TYPE,
        generate_examples=False,
        examples=[_problem_example(status)],
    )


def _success(status: int, body: Any, example: Any, description: str) -> ResponseSpec:
    examples = [Example(summary=description, value=example)] if example is not None else None
    return ResponseSpec(
        data_container=body, description=description, generate_examples=False, examples=examples
    )


def answers(
    status: int,
    body: Any,
    *errors: int,
    example: Any = None,
    description: str = "Done",
    writes: bool = False,
) -> Mapping[int, ResponseSpec]:
    """The ``responses`` of one operation: its success, the errors every read (or, with ``writes``,
    every change) can meet, and ``errors``, the ones its own outcome adds."""
    common = WRITE_ERRORS if writes else READ_ERRORS
    documented = {status: _success(status, body, example, description)}
    documented.update({code: _problem(code) for code in sorted({*common, *errors})})
    return documented


def request_body(example: Any) -> Body:
    """A JSON request body documented with an example (``Annotated[Shape, request_body(...)]``)."""
    return Body(examples=[Example(summary="Example", value=example)])


def openapi_config(opt: Mapping[str, Any]) -> OpenAPIConfig:
    """The API's description at ``/schema``, its pages marked with ``opt`` (the route rule they follow)."""
    return OpenAPIConfig(
        title="Comptoir API",
        version="1",
        path="/schema",
        render_plugins=[SwaggerRenderPlugin()],
        openapi_router=Router(path="/schema", route_handlers=[], opt=dict(opt), include_in_schema=False),
    )
