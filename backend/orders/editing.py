"""Editing an order before picking starts: quantities, lines added or removed, the address, the
location. The stock is released and held again in the same transaction, so the edit happens
entirely or not at all; the totals are recomputed and the change recorded as a readable diff."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.rules import Permission
from backend.db import Database
from backend.events import record
from backend.inventory import service as stock
from backend.inventory.models import Location
from backend.orders import stocking
from backend.orders.errors import OrderForbidden, OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.models import Order, OrderLine
from backend.orders.records import claim, load_summary
from backend.orders.rules import (
    Actor,
    Address,
    OrderRejected,
    OrderShape,
    OrderStatus,
    WantedLine,
    address_problems,
    edit_diff,
    is_editable,
    lines_problems,
    normalise_address,
)
from backend.orders.views import OrderSummary


@dataclass(frozen=True)
class OrderEdit:
    """What to change; ``None`` leaves that part as it is. ``lines`` is the whole new basket."""

    lines: list[WantedLine] | None = None
    address: Address | None = None
    location: str | None = None  # a location code


def _problems(edit: OrderEdit, mode: str) -> dict[str, str]:
    problems = {}
    if edit.lines is not None:
        problems |= lines_problems(edit.lines)
    if edit.address is not None:
        problems |= address_problems(edit.address, mode)
    return problems


async def _current_lines(session: AsyncSession, order_id: int) -> list[OrderLine]:
    rows = await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.position)
    )
    return list(rows)


def _address_text(order: Order) -> str:
    if order.address_line1 is None:
        return ""
    return Address(
        order.address_line1,
        order.address_city or "",
        order.address_postal_code or "",
        order.address_country or "",
    ).text()


def _set_address(order: Order, address: Address) -> None:
    order.address_line1, order.address_city = address.line1, address.city
    order.address_postal_code, order.address_country = address.postal_code, address.country
    order.address_latitude, order.address_longitude = address.latitude, address.longitude


async def _check(session: AsyncSession, actor: Actor, order: Order, version: int | None) -> None:
    if not actor.can(Permission.ORDERS_MANAGE):
        raise OrderForbidden("orders.manage")
    if version is not None and version != order.version:
        raise StaleOrder(await load_summary(session, order.id))
    if not is_editable(OrderStatus(order.status)):
        raise TransitionRefused("not_editable", await load_summary(session, order.id))


async def edit_order(
    db: Database, actor: Actor, order_id: int, edit: OrderEdit, *, version: int | None = None
) -> OrderSummary:
    """Apply ``edit`` if the order is still editable and ``version`` (when given) is current.

    Raises ``OrderRejected`` (bad input, or an edit that changes nothing), ``OutOfStock`` (the new
    basket cannot be held: nothing changed), ``StaleOrder``, ``TransitionRefused``
    (``not_editable``: picking has started), ``OrderForbidden`` or ``OrderNotFound``.
    """
    edit = OrderEdit(edit.lines, normalise_address(edit.address) if edit.address else None, edit.location)
    async with db.write() as session:
        order = await session.get(Order, order_id)
        if order is None:
            raise OrderNotFound(order_id)
        if problems := _problems(edit, order.fulfilment_mode):
            raise OrderRejected(problems)
        await _check(session, actor, order, version)
        await claim(session, order)  # locks the order row (PostgreSQL) before touching stock
        changes = await _apply(session, order, edit)
        if not changes:
            raise OrderRejected({"order": "nothing_changed"})
        await record(
            session, "order.edited", f"order:{order.id}", actor.user_id, number=order.number, changes=changes
        )
        await stock.settle(session, actor.user_id)
        return await load_summary(session, order.id)


async def _apply(session: AsyncSession, order: Order, edit: OrderEdit) -> list[str]:
    current = await _current_lines(session, order.id)
    old_location = await session.get_one(Location, order.location_id)
    before = OrderShape(
        {line.sku: line.quantity for line in current}, _address_text(order), old_location.code
    )
    wanted = (
        edit.lines if edit.lines is not None else [WantedLine(line.sku, line.quantity) for line in current]
    )
    products = await stocking.products_for(session, wanted)
    sold_at = {line.product_id: (line.unit_price_minor, line.tax_rate_centi) for line in current}
    priced = stocking.price(wanted, products, sold_at)
    location = old_location
    if edit.location is not None:
        location = await stocking.choose_location(
            session,
            order.fulfilment_mode,
            edit.location,
            priced=priced,
            destination=None,
            backorderable=frozenset(),
        )
    if edit.address is not None:
        _set_address(order, edit.address)
    after = OrderShape({line.sku: line.quantity for line in priced}, _address_text(order), location.code)
    changes = edit_diff(before, after)
    if not changes:
        return []
    await stock.release(session, stocking.reference(order.id))
    backordered = await stocking.hold(session, order.id, priced, location)
    order.location_id = location.id
    await stocking.write_lines(session, order, priced, backordered)
    return changes


async def change_location(
    db: Database, actor: Actor, order_id: int, location: str, *, version: int | None = None
) -> OrderSummary:
    """Serve the order from another location (a code), holding its stock there instead."""
    return await edit_order(db, actor, order_id, OrderEdit(location=location), version=version)
