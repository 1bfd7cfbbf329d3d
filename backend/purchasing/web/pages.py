"""Purchase order pages: the list (open first), a new draft, one order with its lines and actions,
and receiving goods on the phone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.principal import Principal
from backend.auth.rules import Permission
from backend.auth.web import forms as auth_forms
from backend.auth.web.guards import requires
from backend.i18n.translation import N_
from backend.inventory import levels
from backend.inventory.web.forms import Typed, parse_whole
from backend.kernel.db import Database
from backend.purchasing import service, suppliers
from backend.purchasing.rules import STATUS_LABELS, PurchaseStatus
from backend.purchasing.web.forms import add_problems, add_rejection, chosen_id, message, receipts
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_purchasing = requires(Permission.PURCHASING_MANAGE)
Action = Callable[[Database, int | None, int], Awaitable[object]]

SAVED = {
    "created": N_("Purchase order created."),
    "line_added": N_("Line added."),
    "line_removed": N_("Line removed."),
    "sent": N_("Purchase order sent."),
    "cancelled": N_("Purchase order cancelled."),
    "received": N_("Goods received into stock."),
}


class Caller(NamedTuple):
    """A request to a purchase order's page or form, with what answering it takes."""

    request: AnyRequest
    db: Database
    principal: Principal


@get("/purchase-orders", guards=[manage_purchasing])
async def orders_page(request: AnyRequest, db: AppDb) -> Template:
    async with db.read() as session:
        orders = await service.list_orders(session)
    return page(request, "purchasing/orders.html", {"orders": orders, "status_labels": STATUS_LABELS})


async def _new_page(
    request: AnyRequest, db: Database, typed: Typed, errors: FormErrors | None = None, status: int = 200
) -> Template:
    async with db.read() as session:
        context = {
            "suppliers": await suppliers.list_suppliers(session),
            "locations": await levels.all_locations(session),
            "typed": typed,
            "errors": errors or FormErrors(),
        }
    return page(request, "purchasing/new_order.html", context, status_code=status)


@get("/purchase-orders/new", guards=[manage_purchasing])
async def new_order_page(request: AnyRequest, db: AppDb) -> Template:
    return await _new_page(request, db, Typed())


@post("/purchase-orders/new", guards=[manage_purchasing])
async def create_order(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal
) -> Response[Any] | Template:
    typed, errors = Typed.read(await request.form(), ("supplier", "location")), FormErrors()
    supplier, location = chosen_id(typed, "supplier"), chosen_id(typed, "location")
    try:
        order_id = await service.create_order(db, principal.user_id, supplier, location)
    except service.PurchaseRejected as exc:
        add_problems(errors, exc.problems)
        return await _new_page(request, db, typed, errors, 400)
    return see_other(f"/purchase-orders/{order_id}?saved=created")


async def _order(db: Database, order_id: int) -> service.OrderView:
    try:
        async with db.read() as session:
            return await service.get_order(session, order_id)
    except service.PurchaseNotFound:
        raise NotFoundException() from None


async def _order_page(
    caller: Caller,
    order_id: int,
    *,
    template: str = "purchasing/order.html",
    typed: Typed | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    saved: str | None = None,
) -> Template:
    context = {
        "order": await _order(caller.db, order_id),
        "status_labels": STATUS_LABELS,
        "statuses": PurchaseStatus,
        "typed": typed or Typed(),
        "errors": errors or FormErrors(),
        "saved": SAVED.get(saved or ""),
    }
    return page(caller.request, template, context, status_code=status)


@get("/purchase-orders/{order_id:int}", guards=[manage_purchasing])
async def order_page(
    request: AnyRequest,
    db: AppDb,
    principal: CurrentPrincipal,
    order_id: FromPath[int],
    saved: FromQuery[str | None] = None,
) -> Template:
    return await _order_page(Caller(request, db, principal), order_id, saved=saved)


async def _act(
    caller: Caller, order_id: int, action: Action, saved: str, template: str = "purchasing/order.html"
) -> Response[Any] | Template:
    """Run one command at the version the page showed; refusals re-render the page with why."""
    form = await caller.request.form()
    typed, errors = Typed({key: str(value) for key, value in form.items()}), FormErrors()
    expected = auth_forms.version(form, errors)
    if expected is None:
        errors.general[:] = [auth_forms.message("bad_version")]
        return await _order_page(caller, order_id, template=template, typed=typed, errors=errors, status=400)
    try:
        await action(caller.db, caller.principal.user_id, expected)
    except service.PurchaseNotFound:
        raise NotFoundException() from None
    except service.PurchaseRejected as exc:
        add_rejection(errors, exc.problems, exc.details)
        status = 409 if exc.is_conflict else 400
        return await _order_page(
            caller, order_id, template=template, typed=typed, errors=errors, status=status
        )
    return see_other(f"/purchase-orders/{order_id}?saved={saved}")


@post("/purchase-orders/{order_id:int}/lines", guards=[manage_purchasing])
async def add_line(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, order_id: FromPath[int]
) -> Response[Any] | Template:
    caller = Caller(request, db, principal)
    typed, errors = Typed.read(await request.form(), ("product", "quantity")), FormErrors()
    async with db.read() as session:
        product = await levels.find_product(session, typed.get("product"))
    quantity, problem = parse_whole(typed.get("quantity"))
    if product is None:
        errors.add("product", message("unknown_product"))
    if problem:
        errors.add("quantity", message(problem))
    if product is None or quantity is None:
        return await _order_page(caller, order_id, typed=typed, errors=errors, status=400)

    async def act(db: Database, actor: int | None, version: int) -> None:
        await service.add_line(db, actor, order_id, version, product_id=product.id, quantity=quantity)

    return await _act(caller, order_id, act, "line_added")


@post("/purchase-orders/{order_id:int}/lines/{line_id:int}/remove", guards=[manage_purchasing])
async def remove_line(
    request: AnyRequest,
    db: AppDb,
    principal: CurrentPrincipal,
    order_id: FromPath[int],
    line_id: FromPath[int],
) -> Response[Any] | Template:
    caller = Caller(request, db, principal)

    async def act(db: Database, actor: int | None, version: int) -> None:
        await service.remove_line(db, actor, order_id, version, line_id)

    return await _act(caller, order_id, act, "line_removed")


@post("/purchase-orders/{order_id:int}/send", guards=[manage_purchasing])
async def send_order(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, order_id: FromPath[int]
) -> Response[Any] | Template:
    caller = Caller(request, db, principal)

    async def act(db: Database, actor: int | None, version: int) -> None:
        await service.send_order(db, actor, order_id, version)

    return await _act(caller, order_id, act, "sent")


@post("/purchase-orders/{order_id:int}/cancel", guards=[manage_purchasing])
async def cancel_order(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, order_id: FromPath[int]
) -> Response[Any] | Template:
    caller = Caller(request, db, principal)

    async def act(db: Database, actor: int | None, version: int) -> None:
        await service.cancel_order(db, actor, order_id, version)

    return await _act(caller, order_id, act, "cancelled")


@get("/purchase-orders/{order_id:int}/receive", guards=[manage_purchasing])
async def receive_page(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, order_id: FromPath[int]
) -> Template:
    return await _order_page(Caller(request, db, principal), order_id, template="purchasing/receive.html")


@post("/purchase-orders/{order_id:int}/receive", guards=[manage_purchasing])
async def receive(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, order_id: FromPath[int]
) -> Response[Any] | Template:
    caller = Caller(request, db, principal)
    form, errors = await request.form(), FormErrors()
    order = await _order(db, order_id)
    arrived = receipts(form, order.lines, errors)
    if errors:
        typed = Typed({key: str(value) for key, value in form.items()})
        return await _order_page(
            caller, order_id, template="purchasing/receive.html", typed=typed, errors=errors, status=400
        )

    async def act(db: Database, actor: int | None, version: int) -> None:
        await service.receive(db, actor, order_id, version, arrived)

    return await _act(caller, order_id, act, "received", template="purchasing/receive.html")


ROUTES = [
    orders_page,
    new_order_page,
    create_order,
    order_page,
    add_line,
    remove_line,
    send_order,
    cancel_order,
    receive_page,
    receive,
]
