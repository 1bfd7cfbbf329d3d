"""The team's return pages: the list (by status, with the return rate per product and the return
window), one return with the shop's moves, and the returns panel of an order's page."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web import forms as auth_forms
from backend.auth.web.guards import requires
from backend.i18n.translation import N_
from backend.invoicing.rules import Method
from backend.kernel.db import Database
from backend.orders.rules import Actor
from backend.orders.web.dependencies import CurrentActor
from backend.returns import rules, service, views
from backend.returns.errors import ReturnConflict, ReturnForbidden, ReturnNotFound, ReturnRejected
from backend.returns.web import forms
from backend.web.dependencies import AppDb
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_returns = requires(Permission.RETURNS_MANAGE)
view_orders = requires(Permission.ORDERS_VIEW)

SAVED = {
    "approved": N_("Return approved."),
    "refused": N_("Return refused."),
    "received": N_("Return received: the stock is updated."),
    "refunded": N_("Refunded: credit note and refund recorded."),
    "window": N_("Return window saved."),
}
LABELS = {
    "status_labels": rules.STATUS_LABELS,
    "reason_labels": rules.REASON_LABELS,
    "condition_labels": rules.CONDITION_LABELS,
    "statuses": list(rules.ReturnStatus),
}


@get("/returns", guards=[manage_returns])
async def returns_page(
    request: AnyRequest,
    db: AppDb,
    actor: CurrentActor,
    status: FromQuery[str | None] = None,
    saved: FromQuery[str | None] = None,
) -> Template:
    shown = status if status in rules.STATUS_LABELS else None
    async with db.read() as session:
        context = {
            **LABELS,
            "returns": await views.list_returns(session, shown),
            "counts": await views.counts_by_status(session),
            "rates": await views.return_rates(session),
            "window": await views.window_days(session),
            "status": shown,
            "may_set_window": actor.can(Permission.SETTINGS_MANAGE),
            "saved": SAVED.get(saved or ""),
            "errors": FormErrors(),
        }
    return page(request, "returns/list.html", context)


@post("/returns/window", guards=[manage_returns])
async def save_window(request: AnyRequest, db: AppDb, actor: CurrentActor) -> Response[Any] | Template:
    form = await request.form()
    errors = FormErrors()
    days = forms.whole(form, "window_days")
    version = auth_forms.version(form, errors)
    try:
        await db.run(service.set_window, actor, -1 if days is None else days, version or None)
    except ReturnForbidden:
        return see_other("/returns")
    except (ReturnRejected, ReturnConflict) as exc:
        if isinstance(exc, ReturnRejected):
            forms.add_problems(errors, exc.problems)
        else:
            errors.add(None, forms.message("stale"))
        return await _list_with(request, db, actor, errors)
    return see_other("/returns?saved=window")


async def _list_with(request: AnyRequest, db: Database, actor: Actor, errors: FormErrors) -> Template:
    async with db.read() as session:
        context = {
            **LABELS,
            "returns": await views.list_returns(session),
            "counts": await views.counts_by_status(session),
            "rates": await views.return_rates(session),
            "window": await views.window_days(session),
            "status": None,
            "may_set_window": actor.can(Permission.SETTINGS_MANAGE),
            "saved": None,
            "errors": errors,
        }
    return page(request, "returns/list.html", context, status_code=400)


async def _return_page(
    request: AnyRequest,
    db: Database,
    return_id: int,
    *,
    errors: FormErrors | None = None,
    status: int = 200,
    saved: str | None = None,
) -> Template:
    async with db.read() as session:
        found = await views.get_return(session, return_id)
    if found is None:
        raise NotFoundException(N_("There is no such return."))
    context = {
        **LABELS,
        "found": found,
        "methods": [method.value for method in Method],
        "errors": errors or FormErrors(),
        "saved": SAVED.get(saved or ""),
        "idempotency_key": uuid.uuid4().hex,
    }
    return page(request, "returns/return.html", context, status_code=status)


@get("/returns/{return_id:int}", guards=[manage_returns])
async def return_page(
    request: AnyRequest, db: AppDb, return_id: FromPath[int], saved: FromQuery[str | None] = None
) -> Template:
    return await _return_page(request, db, return_id, saved=saved)


Move = Callable[[Database, Actor, int, dict[str, Any], int | None], Awaitable[object]]


class Caller(NamedTuple):
    request: AnyRequest
    db: Database
    actor: Actor


async def _move(caller: Caller, return_id: int, move: Move, saved: str) -> Response[Any] | Template:
    """Run one move at the version the page showed; a refusal shows the return as it now is, with why."""
    request, db, actor = caller
    form = dict(await request.form())
    errors = FormErrors()
    version = auth_forms.version(form, errors)
    if errors:
        return await _return_page(request, db, return_id, errors=errors, status=400)
    try:
        await move(db, actor, return_id, form, version)
    except ReturnNotFound:
        raise NotFoundException(N_("There is no such return.")) from None
    except ReturnForbidden:
        errors.add(None, forms.message("forbidden"))
        return await _return_page(request, db, return_id, errors=errors, status=403)
    except ReturnConflict as exc:
        errors.add(None, forms.message(exc.code))
        return await _return_page(request, db, return_id, errors=errors, status=409)
    except ReturnRejected as exc:
        forms.add_problems(errors, exc.problems)
        return await _return_page(request, db, return_id, errors=errors, status=400)
    except forms.FormProblem as exc:
        return await _return_page(request, db, return_id, errors=exc.errors, status=400)
    return see_other(f"/returns/{return_id}?saved={saved}")


async def _approve(
    db: Database, actor: Actor, return_id: int, form: dict[str, Any], version: int | None
) -> object:
    return await db.run(service.approve_return, actor, return_id, version, forms.text(form, "note", 500))


async def _refuse(
    db: Database, actor: Actor, return_id: int, form: dict[str, Any], version: int | None
) -> object:
    return await db.run(service.refuse_return, actor, return_id, version, forms.text(form, "note", 500))


async def _receive(
    db: Database, actor: Actor, return_id: int, form: dict[str, Any], version: int | None
) -> object:
    skus = [key.removeprefix("condition-") for key in form if key.startswith("condition-")]
    return await db.run(service.receive_return, actor, return_id, forms.inspections(form, skus), version)


async def _refund(
    db: Database, actor: Actor, return_id: int, form: dict[str, Any], version: int | None
) -> object:
    errors = FormErrors()
    amount = forms.amount(form, forms.text(form, "currency", 3) or "EUR", errors)
    if errors:
        raise forms.FormProblem(errors)
    wanted = service.RefundInput(forms.text(form, "method", 32) or None, amount)
    return await db.run(service.refund_return, actor, return_id, wanted, version)


MOVES: dict[str, tuple[Move, str]] = {
    "approve": (_approve, "approved"),
    "refuse": (_refuse, "refused"),
    "receive": (_receive, "received"),
    "refund": (_refund, "refunded"),
}


@post("/returns/{return_id:int}/{action:str}", guards=[manage_returns])
async def move_return(
    request: AnyRequest, db: AppDb, actor: CurrentActor, return_id: FromPath[int], action: FromPath[str]
) -> Response[Any] | Template:
    if action not in MOVES:
        raise NotFoundException()
    move, saved = MOVES[action]
    return await _move(Caller(request, db, actor), return_id, move, saved)


@get("/orders/{order_id:int}/returns", guards=[view_orders])
async def order_returns(request: AnyRequest, db: AppDb, order_id: FromPath[int]) -> Template:
    """The returns panel of an order's page (asked for by the page, and again when one moves)."""
    async with db.read() as session:
        found = await views.returns_of_order(session, order_id)
        eligibility = await views.eligibility(session, order_id, datetime.now(UTC))
    context = {**LABELS, "returns": found, "order_id": order_id, "eligibility": eligibility}
    return page(request, "returns/_order_panel.html", context)


ROUTES = [returns_page, save_window, return_page, move_return, order_returns]
