"""Fulfilment moves of the JSON API: start picking, confirm a line (scan or tap), report a short
pick, pack, ship, make ready for pickup and collect. Each is one command (idempotent under
``Idempotency-Key``, checked against the ``version`` the body may carry) and answers 200 with the
order as it now is; 409 when the order moved meanwhile or the move is not allowed from where it
stands (``code`` says which, ``by`` who got there first), 422 when the request itself is wrong."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get, post
from sqlalchemy import select

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.fulfilment import rules, service
from backend.fulfilment.carriers import carriers
from backend.fulfilment.errors import FulfilmentRejected, PickConflict
from backend.fulfilment.web import schemas as s
from backend.i18n.translation import gettext
from backend.orders.errors import OrderNotFound
from backend.orders.models import Order
from backend.orders.rules import MESSAGES as ORDER_MESSAGES
from backend.orders.views import OrderSummary
from backend.orders.web.api import REFUSALS, order_out, refused
from backend.orders.web.dependencies import CurrentActor
from backend.web.api_contract import RowId, answers, request_body
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import problem

manage_orders = requires(Permission.ORDERS_MANAGE)
view_orders = requires(Permission.ORDERS_VIEW)


def message(code: str, by: str | None = None) -> str:
    """A fulfilment or order problem code in words."""
    text = rules.MESSAGES.get(code) or ORDER_MESSAGES.get(code) or code
    return gettext(text, name=by or gettext("Someone")) if "%(name)s" in text else gettext(text)


def rejected(exc: FulfilmentRejected) -> Any:
    found = [{"key": key, "message": message(code), "code": code} for key, code in exc.problems.items()]
    return problem(422, found[0]["message"], errors=found)


def conflict(exc: PickConflict) -> Any:
    return problem(
        409,
        message(exc.code, exc.by),
        code=exc.code,
        by=exc.by,
        current_version=exc.current.version,
        current_status=exc.current.status,
    )


def answer(exc: Exception) -> Any:
    """What a move that wrote nothing answers."""
    if isinstance(exc, FulfilmentRejected):
        return rejected(exc)
    if isinstance(exc, PickConflict):
        return conflict(exc)
    return refused(exc)


REFUSED = (FulfilmentRejected, *REFUSALS)


def _with(summary: OrderSummary, shape: type[Any], **extra: Any) -> Any:
    return shape(**msgspec.structs.asdict(order_out(summary)), **extra)


def _code(sku: str | None, barcode: str | None) -> str:
    return (barcode if barcode is not None else sku) or ""


MOVED = answers(200, s.OrderOut, 404, 409, 422, writes=True, example=s.ORDER_EXAMPLE, description="The order")


@post(
    "/orders/{order_id:int}/pick",
    guards=[manage_orders],
    summary="Start picking an order",
    status_code=200,
    responses=answers(
        200, s.StartedOut, 404, 409, 422, writes=True, example=s.STARTED_EXAMPLE, description="The order"
    ),
)
async def start_picking(
    db: AppDb,
    actor: CurrentActor,
    order_id: RowId,
    data: Annotated[s.StartIn | None, request_body(s.START_EXAMPLE)] = None,
) -> Any:
    """A batch of this one order; pages start batches of several."""
    data = data or s.StartIn()
    async with db.read() as session:
        location_id = await session.scalar(select(Order.location_id).where(Order.id == order_id))
    try:
        if location_id is None:
            raise OrderNotFound(order_id)
        started = await db.run(
            service.start_batch, actor, location_id, [service.Seen(order_id, data.version)]
        )
    except REFUSED as exc:
        return answer(exc)
    return _with(started.orders[0], s.StartedOut, batch_id=started.batch_id)


@post(
    "/orders/{order_id:int}/picked",
    guards=[manage_orders],
    summary="Confirm units of a line (a scan or a tap)",
    status_code=200,
    responses=answers(
        200, s.PickedOut, 404, 409, 422, writes=True, example=s.PICKED_EXAMPLE, description="The order"
    ),
)
async def confirm_picked(
    db: AppDb,
    actor: CurrentActor,
    order_id: RowId,
    data: Annotated[s.PickedIn, request_body(s.PICKED_IN_EXAMPLE)],
) -> Any:
    code = _code(data.sku, data.barcode)
    try:
        done = await db.run(service.confirm_pick, actor, order_id, code, data.quantity, version=data.version)
    except REFUSED as exc:
        return answer(exc)
    return _with(
        done.summary,
        s.PickedOut,
        sku=done.sku,
        picked_quantity=done.picked_quantity,
        quantity=done.quantity,
        all_picked=done.complete,
    )


@post(
    "/orders/{order_id:int}/short",
    guards=[manage_orders],
    summary="Report a short pick (the order goes on hold)",
    status_code=200,
    responses=MOVED,
)
async def report_short(
    db: AppDb,
    actor: CurrentActor,
    order_id: RowId,
    data: Annotated[s.ShortIn, request_body(s.SHORT_EXAMPLE)],
) -> Any:
    code = _code(data.sku, data.barcode)
    try:
        held = await db.run(service.short_pick, actor, order_id, code, data.found, version=data.version)
    except REFUSED as exc:
        return answer(exc)
    return order_out(held)


@post(
    "/orders/{order_id:int}/pack",
    guards=[manage_orders],
    summary="Pack an order (parcels and weight)",
    status_code=200,
    responses=MOVED,
)
async def pack_order(
    db: AppDb,
    actor: CurrentActor,
    order_id: RowId,
    data: Annotated[s.PackIn, request_body(s.PACK_EXAMPLE)],
) -> Any:
    try:
        packed = await db.run(
            service.pack, actor, order_id, data.parcels, data.weight_g, version=data.version
        )
    except REFUSED as exc:
        return answer(exc)
    return order_out(packed)


@post(
    "/orders/{order_id:int}/ship",
    guards=[manage_orders],
    summary="Hand a packed order to a carrier",
    status_code=200,
    responses=MOVED,
)
async def ship_order(
    db: AppDb,
    actor: CurrentActor,
    order_id: RowId,
    data: Annotated[s.ShipIn, request_body(s.SHIP_EXAMPLE)],
) -> Any:
    try:
        shipped = await db.run(
            service.ship, actor, order_id, data.carrier, data.tracking_number, version=data.version
        )
    except REFUSED as exc:
        return answer(exc)
    return order_out(shipped)


@post(
    "/orders/{order_id:int}/ready",
    guards=[manage_orders],
    summary="Make a packed order ready for pickup (gives its pickup code)",
    status_code=200,
    responses=answers(
        200, s.ReadyOut, 404, 409, 422, writes=True, example=s.READY_EXAMPLE, description="The order"
    ),
)
async def make_ready(
    db: AppDb,
    actor: CurrentActor,
    settings: AppSettings,
    order_id: RowId,
    data: Annotated[s.StartIn | None, request_body(s.START_EXAMPLE)] = None,
) -> Any:
    data = data or s.StartIn()
    key = rules.pickup_key(settings.secret_key)
    try:
        ready = await db.run(service.ready_for_pickup, actor, key, order_id, version=data.version)
    except REFUSED as exc:
        return answer(exc)
    return _with(ready.summary, s.ReadyOut, pickup_code=ready.pickup_code)


@post(
    "/orders/{order_id:int}/collect",
    guards=[manage_orders],
    summary="Hand a ready order to its customer, who gives the pickup code or shows an identity document",
    status_code=200,
    responses=MOVED,
)
async def collect_order(
    db: AppDb,
    actor: CurrentActor,
    settings: AppSettings,
    order_id: RowId,
    data: Annotated[s.CollectIn, request_body(s.COLLECT_EXAMPLE)],
) -> Any:
    """A wrong code is refused (422) and counted: the fifth in a row locks the order for 15
    minutes (``attempts_left``, ``locked_until``). A customer without the code is handed the
    order on an identity check instead (``identity_checked``, ``identity_note``), which a locked
    code does not stop; the order's timeline keeps the check, who made it, and the lock."""
    if data.identity_checked is not None or data.identity_note is not None:
        if data.code is not None:
            return rejected(FulfilmentRejected({"code": "identity_or_code"}))
        check = service.IdentityCheck(data.identity_checked is True, data.identity_note or "")
        try:
            summary = await db.run(service.collect_on_identity, actor, order_id, check, version=data.version)
        except REFUSED as exc:
            return answer(exc)
        return order_out(summary)
    key = rules.pickup_key(settings.secret_key)
    try:
        done = await db.run(service.collect, actor, key, order_id, data.code or "", version=data.version)
    except REFUSED as exc:
        return answer(exc)
    if done.refused:
        return problem(
            422,
            message(done.refused),
            code=done.refused,
            attempts_left=done.attempts_left,
            locked_until=done.locked_until.isoformat() if done.locked_until else None,
            errors=[{"key": "code", "message": message(done.refused), "code": done.refused}],
        )
    return order_out(done.summary)


@get(
    "/carriers",
    guards=[view_orders],
    summary="The carriers a parcel may be shipped with",
    responses=answers(200, list[s.CarrierOut], example=s.CARRIERS_EXAMPLE, description="The carriers"),
)
async def list_carriers(db: AppDb) -> list[s.CarrierOut]:
    async with db.read() as session:
        listed = await carriers(session)
    return [s.CarrierOut(carrier.code, carrier.name, carrier.tracking_url) for carrier in listed]


ROUTES = [
    start_picking,
    confirm_picked,
    report_short,
    pack_order,
    ship_order,
    make_ready,
    collect_order,
    list_carriers,
]
