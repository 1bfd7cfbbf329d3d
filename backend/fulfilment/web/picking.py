"""Picking: the orders to pick at a location (Orders → "To pick"), starting a batch, and the
batch's pick list walked by shelf position, where each line is confirmed by a scan (camera or
scanner, typed into one field) or a tap with its quantity, or reported short.

Every form can be queued offline (``data-offline``: an idempotency key, replayed once): a scan
carries only what was scanned, and the server finds its line when it arrives. A scan of a product
no order of the batch asks for is refused (422) with the batch as it is; a scan that only an order
cancelled meanwhile asks for is a conflict (409), never picked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.catalog.rules import normalise_sku
from backend.fulfilment import board, rules, service
from backend.fulfilment.board import PickList, PickRow
from backend.fulfilment.web import forms
from backend.fulfilment.web.api import REFUSED, message
from backend.i18n.translation import N_, gettext
from backend.inventory.models import Location
from backend.kernel.db import Database, utcnow
from backend.orders import labels
from backend.orders.errors import OrderNotFound
from backend.orders.rules import Actor, OrderStatus
from backend.orders.web.dependencies import CurrentActor
from backend.web import inputs
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import FormErrors, page, see_other

manage_orders = requires(Permission.ORDERS_VIEW, Permission.ORDERS_MANAGE)

# An order of the batch in one of these was taken off it (cancelled, or held after a short pick):
# what was taken for it goes back on the shelf. Past picking (packed and on), it is simply done.
STOPPED = frozenset({OrderStatus.CANCELLED, OrderStatus.ON_HOLD, OrderStatus.PLACED, OrderStatus.ACCEPTED})

NOT_IN_BATCH = N_("This product is not on any order of this batch.")
ALL_PICKED = N_("Every unit of this product is already picked.")
ONLY_CANCELLED = N_("Only an order that is no longer being picked asks for this product: put it back.")


async def _locations(db: Database) -> list[Location]:
    async with db.read() as session:
        return list(await session.scalars(select(Location).order_by(Location.id)))


def _location(locations: list[Location], raw: str | None) -> Location | None:
    wanted = inputs.parse_id(raw)
    default = next((place for place in locations if place.is_default), locations[0] if locations else None)
    return next((place for place in locations if place.id == wanted), default)


async def _to_pick_page(
    request: forms.AnyRequest,
    db: Database,
    actor: Actor,
    settings: Any,
    location_raw: str | None,
    *,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Template:
    locations = await _locations(db)
    here = _location(locations, location_raw)
    async with db.read() as session:
        cards = [] if here is None else await board.to_pick(session, here.id)
        mine = await board.open_batches(session, actor.user_id)
    context = {
        "locations": locations,
        "here": here,
        "cards": cards,
        "batches": mine,
        "errors": errors or FormErrors(),
        "now": utcnow(),
        "alert_minutes": settings.order_wait_alert_minutes,
        "labels": labels,
        "max_batch": rules.MAX_BATCH,
    }
    return page(request, "fulfilment/to_pick.html", context, status_code=status)


@get("/fulfilment/pick", guards=[manage_orders])
async def to_pick(
    request: forms.AnyRequest,
    db: AppDb,
    actor: CurrentActor,
    settings: AppSettings,
    location: FromQuery[str | None] = None,
) -> Template:
    return await _to_pick_page(request, db, actor, settings, location)


def _seen(raw: list[str]) -> list[service.Seen] | None:
    """``<order id>:<version>`` per chosen order; None when one is not that."""
    chosen = []
    for value in raw[: rules.MAX_BATCH + 1]:
        order_id, _, version = value.partition(":")
        parsed_id, parsed_version = inputs.parse_id(order_id), inputs.parse_id(version)
        if parsed_id is None or parsed_version is None:
            return None
        chosen.append(service.Seen(parsed_id, parsed_version))
    return chosen


@post("/fulfilment/batches", guards=[manage_orders])
async def start_batch(
    request: forms.AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings
) -> Redirect | Template:
    form = await request.form()
    location_raw = forms.text(form, "location", 20)
    errors = FormErrors()
    chosen = _seen([value for value in form.getall("order", []) if isinstance(value, str)])
    location_id = inputs.parse_id(location_raw)
    if chosen is None or location_id is None:
        errors.add(None, message("batch_empty"))
        return await _to_pick_page(request, db, actor, settings, location_raw, errors=errors, status=400)
    try:
        started = await db.run(service.start_batch, actor, location_id, chosen)
    except OrderNotFound:
        raise NotFoundException() from None
    except REFUSED as exc:
        status = forms.refusal(exc, errors)
        return await _to_pick_page(request, db, actor, settings, location_raw, errors=errors, status=status)
    return see_other(f"/fulfilment/batches/{started.batch_id}")


# -- the batch ------------------------------------------------------------------------------------


@dataclass
class BatchOrder:
    """One order of the batch, with its rows in shelf order."""

    order_id: int
    number: str
    status: str
    version: int
    rows: list[PickRow] = field(default_factory=list)

    @property
    def picking(self) -> bool:
        return self.status == OrderStatus.PICKING

    @property
    def done(self) -> bool:
        return all(row.picked_quantity >= row.quantity for row in self.rows)


def _orders(listed: PickList) -> list[BatchOrder]:
    found: dict[int, BatchOrder] = {}
    for row in listed.rows:
        order = found.setdefault(
            row.order_id, BatchOrder(row.order_id, row.order_number, row.order_status, row.order_version)
        )
        order.rows.append(row)
    return sorted(found.values(), key=lambda order: order.number)


async def _pick_list(db: Database, batch_id: int) -> PickList:
    async with db.read() as session:
        listed = await board.pick_list(session, batch_id)
    if listed is None:
        raise NotFoundException()
    return listed


async def show_batch(
    request: forms.AnyRequest,
    db: Database,
    batch_id: int,
    *,
    errors: FormErrors | None = None,
    status: int = 200,
    wrong: bool = False,
) -> Template:
    listed = await _pick_list(db, batch_id)
    context = {
        "batch": listed,
        "orders": _orders(listed),
        "errors": errors or FormErrors(),
        "wrong": wrong,  # the scan was refused: the page sounds it
        "stopped": STOPPED,
        "labels": labels,
        "saved": request.query_params.get("saved"),
    }
    return page(request, "fulfilment/batch.html", context, status_code=status)


@get("/fulfilment/batches/{batch_id:int}", guards=[manage_orders])
async def batch_page(request: forms.AnyRequest, db: AppDb, batch_id: FromPath[int]) -> Template:
    return await show_batch(request, db, batch_id)


def _matches(row: PickRow, code: str) -> bool:
    return row.sku == normalise_sku(code) or (row.barcode is not None and row.barcode == code)


def _row_for(listed: PickList, code: str) -> tuple[PickRow | None, str | None]:
    """The first row in shelf order that the scan may go to, or why none."""
    matching = [row for row in listed.rows if _matches(row, code)]
    if not matching:
        return None, NOT_IN_BATCH
    waiting = [row for row in matching if row.picked_quantity < row.quantity]
    open_rows = [row for row in waiting if row.order_status == OrderStatus.PICKING]
    if open_rows:
        return open_rows[0], None
    # What is left to take of it is for orders no longer being picked (cancelled, held): a conflict.
    return None, ONLY_CANCELLED if waiting else ALL_PICKED


@post("/fulfilment/batches/{batch_id:int}/scan", guards=[manage_orders])
async def scan(
    request: forms.AnyRequest, db: AppDb, actor: CurrentActor, batch_id: FromPath[int]
) -> Redirect | Template:
    """A scanned or typed SKU or barcode, with a quantity (1 when left empty)."""
    form = await request.form()
    errors = FormErrors()
    code = forms.text(form, "code", 200)
    quantity = forms.number(form, "quantity", errors, "quantity_invalid", default=1)
    if not code:
        errors.add("code", message("code_required"))
    if errors:
        return await show_batch(request, db, batch_id, errors=errors, status=422)
    row, why = _row_for(await _pick_list(db, batch_id), code)
    if row is None:
        errors.add("code", gettext(why or NOT_IN_BATCH))
        status = 409 if why == ONLY_CANCELLED else 422
        return await show_batch(
            request, db, batch_id, errors=errors, status=status, wrong=why == NOT_IN_BATCH
        )
    return await _confirm(request, db, actor, batch_id, order_id=row.order_id, sku=row.sku, quantity=quantity)


async def _confirm(
    request: forms.AnyRequest,
    db: Database,
    actor: Actor,
    batch_id: int,
    *,
    order_id: int,
    sku: str,
    quantity: int,
) -> Redirect | Template:
    errors = FormErrors()
    try:
        await db.run(service.confirm_pick, actor, order_id, sku, quantity)
    except OrderNotFound:
        raise NotFoundException() from None
    except REFUSED as exc:
        status = forms.refusal(exc, errors)
        return await show_batch(request, db, batch_id, errors=errors, status=status)
    return see_other(f"/fulfilment/batches/{batch_id}")


def _batch_of(form: forms.Form) -> int:
    found = inputs.parse_id(forms.text(form, "batch", 20))
    if found is None:
        raise NotFoundException()
    return found


@post("/fulfilment/orders/{order_id:int}/picked", guards=[manage_orders])
async def tap(
    request: forms.AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]
) -> Redirect | Template:
    """A tap on a line of the list: its SKU and the quantity taken."""
    form = await request.form()
    batch_id = _batch_of(form)
    errors = FormErrors()
    quantity = forms.number(form, "quantity", errors, "quantity_invalid", default=1)
    if errors:
        return await show_batch(request, db, batch_id, errors=errors, status=422)
    sku = forms.text(form, "sku", 64)
    return await _confirm(request, db, actor, batch_id, order_id=order_id, sku=sku, quantity=quantity)


@post("/fulfilment/orders/{order_id:int}/short", guards=[manage_orders])
async def short(
    request: forms.AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]
) -> Redirect | Template:
    """The shelf holds fewer than the line asks: the order goes on hold for the owner to decide."""
    form = await request.form()
    batch_id = _batch_of(form)
    errors = FormErrors()
    found = forms.number(form, "found", errors, "found_invalid")
    if errors:
        return await show_batch(request, db, batch_id, errors=errors, status=422)
    try:
        await db.run(service.short_pick, actor, order_id, forms.text(form, "sku", 64), found)
    except OrderNotFound:
        raise NotFoundException() from None
    except REFUSED as exc:
        status = forms.refusal(exc, errors)
        return await show_batch(request, db, batch_id, errors=errors, status=status)
    return see_other(f"/fulfilment/batches/{batch_id}?saved=short")


ROUTES = [to_pick, start_batch, batch_page, scan, tap, short]
