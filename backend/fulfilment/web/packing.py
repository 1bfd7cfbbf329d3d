"""One order's packing and hand-over page: its lines as picked, the parcel count and weight, the
packing slip (a printable page and a PDF, without prices, the order number as a QR code), then
the hand-over its mode asks for: ready for pickup (with the code to give the customer), shipped
with a carrier and a tracking number, or waiting for a delivery run."""

from __future__ import annotations

from typing import Any, NamedTuple

from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.fulfilment import board, rules, service
from backend.fulfilment.carriers import carriers
from backend.fulfilment.slips import Slip, qr_svg, slip_of, slip_pdf
from backend.fulfilment.web import forms
from backend.fulfilment.web.api import REFUSED
from backend.kernel.db import Database
from backend.kernel.moments import format_when
from backend.orders import labels, queries
from backend.orders.errors import OrderNotFound
from backend.orders.web.dependencies import CurrentActor
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import FormErrors, page, see_other

view_orders = requires(Permission.ORDERS_VIEW)
manage_orders = requires(Permission.ORDERS_VIEW, Permission.ORDERS_MANAGE)


async def show_order(
    request: forms.AnyRequest,
    db: Database,
    order_id: int,
    *,
    errors: FormErrors | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Template:
    try:
        async with db.read() as session:
            detail = await queries.get_order(session, order_id)
            view = await board.fulfilment_of(session, order_id)
            offered = await carriers(session)
    except OrderNotFound:
        raise NotFoundException() from None
    context = {
        "order": detail.summary,
        "detail": detail,
        "view": view,
        "carriers": offered,
        "errors": errors or FormErrors(),
        "typed": typed or {},
        "labels": labels,
        "all_picked": rules.all_picked((line.quantity, line.picked_quantity) for line in view.lines),
    }
    return page(request, "fulfilment/order.html", context, status_code=status)


@get("/fulfilment/orders/{order_id:int}", guards=[manage_orders])
async def order_page(request: forms.AnyRequest, db: AppDb, order_id: FromPath[int]) -> Template:
    return await show_order(request, db, order_id)


class Asked(NamedTuple):
    """A move asked from the page: what answering it takes, and the form as typed."""

    request: forms.AnyRequest
    db: Database
    order_id: int
    typed: dict[str, str]
    errors: FormErrors


async def _run_move(asked: Asked, command: Any, *args: object, version: int | None) -> Template | None:
    """Runs the move; the page with why when it was refused, None when it was applied."""
    request, db, order_id, typed, errors = asked
    if errors:
        return await show_order(request, db, order_id, errors=errors, status=422, typed=typed)
    try:
        await db.run(command, *args, version=version)
    except OrderNotFound:
        raise NotFoundException() from None
    except REFUSED as exc:
        status = forms.refusal(exc, errors)
        return await show_order(request, db, order_id, errors=errors, status=status, typed=typed)
    return None


@post("/fulfilment/orders/{order_id:int}/pack", guards=[manage_orders])
async def pack(
    request: forms.AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]
) -> Redirect | Template:
    """From this page (with the version seen) or from the batch's list (``batch``: back there)."""
    form = await request.form()
    errors = FormErrors()
    typed = {name: forms.text(form, name, 20) for name in ("parcels", "weight_g")}
    parcels = forms.number(form, "parcels", errors, "parcels_invalid", default=1)
    weight = forms.number(form, "weight_g", errors, "weight_invalid")
    version = forms.version(form, errors)
    asked = Asked(request, db, order_id, typed, errors)
    refused = await _run_move(asked, service.pack, actor, order_id, parcels, weight, version=version)
    if refused is not None:
        return refused
    batch = forms.text(form, "batch", 20)
    if batch.isdigit():
        return see_other(f"/fulfilment/batches/{batch}?saved=packed")
    return see_other(f"/fulfilment/orders/{order_id}")


@post("/fulfilment/orders/{order_id:int}/ready", guards=[manage_orders])
async def ready(
    request: forms.AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings, order_id: FromPath[int]
) -> Redirect | Template:
    form = await request.form()
    errors = FormErrors()
    version = forms.version(form, errors)
    key = rules.pickup_key(settings.secret_key)
    asked = Asked(request, db, order_id, {}, errors)
    refused = await _run_move(asked, service.ready_for_pickup, actor, key, order_id, version=version)
    return refused or see_other(f"/fulfilment/orders/{order_id}")


@post("/fulfilment/orders/{order_id:int}/ship", guards=[manage_orders])
async def ship(
    request: forms.AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]
) -> Redirect | Template:
    form = await request.form()
    errors = FormErrors()
    # Read longer than allowed, so that the rule says "too long" rather than cutting it short.
    typed = {
        "carrier": forms.text(form, "carrier", 64),
        "tracking_number": forms.text(form, "tracking_number", 300),
    }
    version = forms.version(form, errors)
    asked = Asked(request, db, order_id, typed, errors)
    carrier, number = typed["carrier"], typed["tracking_number"]
    refused = await _run_move(asked, service.ship, actor, order_id, carrier, number, version=version)
    return refused or see_other(f"/fulfilment/orders/{order_id}")


async def _slip(db: Database, order_id: int) -> Slip:
    try:
        async with db.read() as session:
            return await slip_of(session, order_id)
    except OrderNotFound:
        raise NotFoundException() from None


@get("/fulfilment/orders/{order_id:int}/slip", guards=[view_orders])
async def slip_page(request: forms.AnyRequest, db: AppDb, order_id: FromPath[int]) -> Template:
    slip = await _slip(db, order_id)
    context = {"slip": slip, "qr": qr_svg(slip.number), "labels": labels}
    return page(request, "fulfilment/slip.html", context)


@get("/fulfilment/orders/{order_id:int}/slip.pdf", guards=[view_orders])
async def slip_document(db: AppDb, order_id: FromPath[int]) -> Response[bytes]:
    slip = await _slip(db, order_id)
    body = slip_pdf(slip, format_when(slip.placed_at))
    disposition = f'inline; filename="slip-{slip.number}.pdf"'
    return Response(body, media_type="application/pdf", headers={"content-disposition": disposition})


ROUTES = [order_page, pack, ready, ship, slip_page, slip_document]
