"""Order endpoints of the JSON API: place, read, list, move through the lifecycle, edit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import MediaType, Response, get, patch, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromQuery, QueryParameter

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.catalog.rules import format_tax_rate
from backend.i18n.translation import gettext
from backend.kernel.db import Database
from backend.orders import errors, queries, service
from backend.orders.drafts import Address, CustomerDetails, DeliverySlot, OrderDraft, WantedLine
from backend.orders.rules import MESSAGES, Actor, Channel, FulfilmentMode, OrderStatus, Priority
from backend.orders.views import OrderDetail, OrderSummary, PlacedOrder
from backend.orders.web.dependencies import AcceptSteps, CurrentActor, OrderFactsSources
from backend.orders.web.schemas import (
    ORDER_DETAIL_EXAMPLE,
    ORDER_EXAMPLE,
    ORDER_IN_EXAMPLE,
    ORDER_LIST_EXAMPLE,
    ORDER_PATCH_EXAMPLE,
    PLACED_EXAMPLE,
    TRANSITION_EXAMPLE,
    AddressIn,
    LineOut,
    OrderDetailOut,
    OrderIn,
    OrderListOut,
    OrderOut,
    OrderPatch,
    PlacedOut,
    TimelineOut,
    TransitionIn,
)
from backend.web.api_contract import RowId, answers, request_body
from backend.web.dependencies import AppDb, AppSettings
from backend.web.input_guard import IdQuery
from backend.web.responses import problem

T = TypeVar("T")
view_orders = requires(Permission.ORDERS_VIEW)
place_orders = requires(Permission.ORDERS_PLACE)
manage_orders = requires(Permission.ORDERS_MANAGE)


def _address(data: AddressIn | None) -> Address | None:
    if data is None:
        return None
    return Address(data.line1, data.city, data.postal_code, data.country, data.latitude, data.longitude)


def _draft(data: OrderIn) -> OrderDraft:
    return OrderDraft(
        customer=CustomerDetails(data.customer.name, data.customer.email, data.customer.phone),
        lines=[WantedLine(line.sku, line.quantity) for line in data.lines],
        fulfilment_mode=data.fulfilment_mode,
        payment_method=data.payment_method,
        channel=data.channel,
        address=_address(data.address),
        location=data.location,
        priority=data.priority,
        notes=data.notes,
        external_ref=data.external_ref,
        slot=None
        if data.delivery_slot is None
        else DeliverySlot(data.delivery_slot.start, data.delivery_slot.end),
    )


def _out(view: OrderSummary) -> OrderOut:
    return OrderOut(
        **{
            name: getattr(view, name)
            for name in OrderOut.__struct_fields__
            if name not in {"location", "risk_reasons"}
        },
        location=view.location_code,
        risk_reasons=list(view.risk_reasons),
    )


def _detail(view: OrderDetail, facts: Mapping[str, Any]) -> OrderDetailOut:
    """The order as JSON, with the facts of the domains above; ``picked`` (units per line, in the
    order's line order) goes to the lines, every other fact is a field of ``OrderDetailOut``."""
    facts = dict(facts)
    picked = list(facts.pop("picked", ()))
    picked += [0] * (len(view.lines) - len(picked))
    return OrderDetailOut(
        **msgspec.structs.asdict(_out(view.summary)),
        address=view.address,
        notes=view.notes,
        lines=[
            LineOut(
                line.sku,
                line.name,
                line.quantity,
                line.unit_price_minor,
                format_tax_rate(line.tax_rate_centi),
                line.net_minor,
                line.tax_minor,
                line.total_minor,
                line.backordered,
                units,
            )
            for line, units in zip(view.lines, picked, strict=False)
        ],
        timeline=[
            TimelineOut(entry.id, entry.at, entry.type, entry.actor_name, entry.data)
            for entry in view.timeline
        ],
        **facts,
    )


def _rejected(exc: errors.OrderRejected) -> Any:
    found = [
        {"key": field, "message": gettext(MESSAGES[code]), "code": code}
        for field, code in exc.problems.items()
    ]
    return problem(422, found[0]["message"], errors=found)


def _refused(exc: Exception) -> Any:
    """The answer to an order operation that wrote nothing."""
    if isinstance(exc, errors.OrderRejected):
        return _rejected(exc)
    if isinstance(exc, errors.OutOfStock):
        short = [{"sku": s.sku, "wanted": s.wanted, "available": s.available} for s in exc.short]
        names = ", ".join(s.sku for s in exc.short)
        return problem(
            409, f"Not enough stock at {exc.location} for: {names}.", short_lines=short, location=exc.location
        )
    if isinstance(exc, errors.StaleOrder):
        current = exc.current
        return problem(
            409,
            "The order changed since you read it.",
            current_version=current.version,
            current_status=current.status,
        )
    if isinstance(exc, errors.TransitionRefused):
        current = exc.current
        detail = gettext(MESSAGES[exc.code]) if exc.code in MESSAGES else exc.code
        return problem(
            409, detail, code=exc.code, current_version=current.version, current_status=current.status
        )
    if isinstance(exc, errors.DuplicateExternalRef):
        return problem(409, gettext(MESSAGES["external_ref_taken"]), order_id=exc.order_id, number=exc.number)
    if isinstance(exc, errors.OrderForbidden):
        return problem(403)
    if isinstance(exc, errors.OrderNotFound):
        raise NotFoundException(f"No order {exc.args[0]}.") from None
    raise exc


REFUSALS = (
    errors.OrderRejected,
    errors.OutOfStock,
    errors.StaleOrder,
    errors.TransitionRefused,
    errors.DuplicateExternalRef,
    errors.OrderForbidden,
    errors.OrderNotFound,
)


# The domains above that move orders with commands of their own (fulfilment) answer as this API does.
order_out = _out
refused = _refused


def _placed_body(placed: PlacedOrder, origin: str) -> bytes:
    out = PlacedOut(
        placed.id,
        placed.number,
        placed.status,
        placed.total_minor,
        placed.currency,
        f"{origin}/t/{placed.tracking_token}",
        placed.version,
    )
    return msgspec.json.encode(out)


def _json(body: bytes, status: int) -> Response[bytes]:
    return Response(body, status_code=status, media_type=MediaType.JSON)


@post(
    "/orders",
    guards=[place_orders],
    summary="Place an order",
    status_code=201,
    responses=answers(
        201, PlacedOut, 409, 422, writes=True, example=PLACED_EXAMPLE, description="The order placed"
    ),
)
async def place_order(
    db: AppDb,
    actor: CurrentActor,
    settings: AppSettings,
    data: Annotated[OrderIn, request_body(ORDER_IN_EXAMPLE)],
) -> Any:
    """With an ``Idempotency-Key``, the key is claimed and the order's result stored in the order's
    own transaction: a retry gets the same order, never a second one."""
    try:
        placed = await service.place_order(db, actor, _draft(data))
    except REFUSALS as exc:
        return _refused(exc)
    return _json(_placed_body(placed, settings.origin), 201)


@get(
    "/orders/{order_id:int}",
    guards=[view_orders],
    summary="One order with its lines and timeline",
    responses=answers(200, OrderDetailOut, 404, example=ORDER_DETAIL_EXAMPLE, description="The order"),
)
async def get_order(db: AppDb, order_id: RowId, order_facts: OrderFactsSources) -> Any:
    """With the facts the domains above orders add (``order_facts``: picked, paid, balance…)."""
    try:
        async with db.read() as session:
            view = await queries.get_order(session, order_id)
            facts: dict[str, Any] = {}
            for source in order_facts:
                facts.update(await source(session, order_id))
    except errors.OrderNotFound as exc:
        return _refused(exc)
    return _detail(view, facts)


def _when(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationException(f"{name} is an ISO 8601 date or time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # times without a zone are UTC


@get(
    "/orders",
    guards=[view_orders],
    summary="Orders, newest first, filtered and by pages",
    responses=answers(200, OrderListOut, example=ORDER_LIST_EXAMPLE, description="A page of orders"),
)
async def list_orders(
    db: AppDb,
    *,
    status: FromQuery[OrderStatus | None] = None,
    channel: FromQuery[Channel | None] = None,
    mode: FromQuery[FulfilmentMode | None] = None,
    priority: FromQuery[Priority | None] = None,
    customer: IdQuery = None,
    placed_from: FromQuery[str | None] = None,
    placed_before: FromQuery[str | None] = None,
    q: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=queries.MAX_PAGE_SIZE)] = queries.PAGE_SIZE,
) -> Any:
    try:
        after_id = queries.decode_cursor(cursor)
    except ValueError:
        return problem(400, "The cursor is not one this API gave out.")
    wanted = queries.OrderQuery(
        status,
        channel,
        mode,
        priority,
        customer,
        _when(placed_from, "placed_from"),
        _when(placed_before, "placed_before"),
        q,
        after_id,
        limit,
    )
    async with db.read() as session:
        page = await queries.list_orders(session, wanted)
    return OrderListOut([_out(item) for item in page.items], page.next_cursor)


# A move through the lifecycle or an edit answers the order as it now is; 409 when it moved meanwhile.
TRANSITIONED = answers(
    200, OrderOut, 404, 409, 422, writes=True, example=ORDER_EXAMPLE, description="The order"
)
# Optional: without a body the move applies to the order's current version, with no reason.
TransitionBody = Annotated[TransitionIn | None, request_body(TRANSITION_EXAMPLE)]


async def _transition(
    db: Database,
    actor: Actor,
    order_id: int,
    wanted: OrderStatus,
    data: TransitionIn | None,
    *,
    on_accept: tuple[service.AcceptStep, ...] = (),
) -> Any:
    """The body is optional: without one the move applies to whatever the version is."""
    data = data or TransitionIn()
    try:
        moved = await service.transition_order(
            db, actor, order_id, wanted, version=data.version, reason=data.reason, on_accept=on_accept
        )
    except REFUSALS as exc:
        return _refused(exc)
    return _out(moved)


@post(
    "/orders/{order_id:int}/accept",
    guards=[manage_orders],
    summary="Accept an order",
    status_code=200,
    responses=TRANSITIONED,
)
async def accept_order(
    db: AppDb, actor: CurrentActor, order_accepted: AcceptSteps, order_id: RowId, data: TransitionBody = None
) -> Any:
    return await _transition(db, actor, order_id, OrderStatus.ACCEPTED, data, on_accept=order_accepted)


@post(
    "/orders/{order_id:int}/reject",
    guards=[manage_orders],
    summary="Reject an order (reason)",
    status_code=200,
    responses=TRANSITIONED,
)
async def reject_order(db: AppDb, actor: CurrentActor, order_id: RowId, data: TransitionBody = None) -> Any:
    return await _transition(db, actor, order_id, OrderStatus.REJECTED, data)


@post(
    "/orders/{order_id:int}/hold",
    guards=[manage_orders],
    summary="Put an order on hold (reason)",
    status_code=200,
    responses=TRANSITIONED,
)
async def hold_order(db: AppDb, actor: CurrentActor, order_id: RowId, data: TransitionBody = None) -> Any:
    return await _transition(db, actor, order_id, OrderStatus.ON_HOLD, data)


@post(
    "/orders/{order_id:int}/cancel",
    guards=[manage_orders],
    summary="Cancel an order (reason)",
    status_code=200,
    responses=TRANSITIONED,
)
async def cancel_order(db: AppDb, actor: CurrentActor, order_id: RowId, data: TransitionBody = None) -> Any:
    return await _transition(db, actor, order_id, OrderStatus.CANCELLED, data)


def _edit(data: OrderPatch) -> service.OrderEdit:
    lines = (
        None if data.lines is msgspec.UNSET else [WantedLine(line.sku, line.quantity) for line in data.lines]
    )
    address = None if data.address is msgspec.UNSET else _address(data.address)
    location = None if data.location is msgspec.UNSET else data.location
    return service.OrderEdit(lines=lines, address=address, location=location)


@patch(
    "/orders/{order_id:int}",
    guards=[manage_orders],
    summary="Change lines, address or location",
    responses=TRANSITIONED,
)
async def edit_order(
    db: AppDb,
    actor: CurrentActor,
    order_id: RowId,
    data: Annotated[OrderPatch, request_body(ORDER_PATCH_EXAMPLE)],
) -> Any:
    try:
        edited = await service.edit_order(db, actor, order_id, _edit(data), version=data.version)
    except REFUSALS as exc:
        return _refused(exc)
    return _out(edited)


ROUTES = [
    place_order,
    get_order,
    list_orders,
    accept_order,
    reject_order,
    hold_order,
    cancel_order,
    edit_order,
]
