"""Editing an order before picking starts: quantities, lines added or removed, the address, the
location. The stock is released and held again in the same transaction, so the edit happens
entirely or not at all; the totals are recomputed and the change recorded as a readable diff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.rules import Permission
from backend.inventory import holds
from backend.inventory.models import Location
from backend.inventory.settling import settle_batch
from backend.kernel.db import Database
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders import pricing, queries, stocking
from backend.orders.drafts import (
    Address,
    OrderRejected,
    WantedLine,
    address_problems,
    lines_problems,
    normalise_address,
)
from backend.orders.edit_diff import OrderShape, edit_diff
from backend.orders.errors import OrderForbidden, OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.events import OrderEdited
from backend.orders.models import Order, OrderLine
from backend.orders.records import account_of, accounted, claim, load_summary
from backend.orders.rules import Actor, OrderStatus, is_editable
from backend.orders.views import OrderDetail, OrderSummary
from backend.purchasing.reorder import draft_reorder


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


def _current_lines(session: Session, order_id: int) -> list[OrderLine]:
    rows = session.scalars(
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


def _check(session: Session, actor: Actor, order: Order, version: int | None) -> None:
    if not actor.can(Permission.ORDERS_MANAGE):
        raise OrderForbidden("orders.manage")
    if version is not None and version != order.version:
        raise StaleOrder(load_summary(session, order.id))
    if not is_editable(OrderStatus(order.status)):
        raise TransitionRefused("not_editable", load_summary(session, order.id))


async def edit_as_typed(
    db: Database,
    actor: Actor,
    order_id: int,
    edit_of: Callable[[OrderDetail], OrderEdit],
    *,
    version: int | None = None,
) -> OrderSummary:
    """Apply what a form typed: ``edit_of`` says it as changes from the order as it stands (a form
    sends back what it showed, changed or not). Raises as ``edit_order`` does."""
    async with db.read() as session:
        detail = await queries.get_order(session, order_id)
    return await edit_order(db, actor, order_id, edit_of(detail), version=version)


async def edit_order(
    db: Database, actor: Actor, order_id: int, edit: OrderEdit, *, version: int | None = None
) -> OrderSummary:
    """Apply ``edit`` if the order is still editable and ``version`` (when given) is current.

    Raises ``OrderRejected`` (bad input, or an edit that changes nothing), ``OutOfStock`` (the new
    basket cannot be held: nothing changed), ``StaleOrder``, ``TransitionRefused``
    (``not_editable``: picking has started), ``OrderForbidden`` or ``OrderNotFound``.
    """
    edit = OrderEdit(edit.lines, normalise_address(edit.address) if edit.address else None, edit.location)
    return await db.run(change_order, actor, order_id, edit, version)


def change_order(tx: Tx, actor: Actor, order_id: int, edit: OrderEdit, version: int | None) -> OrderSummary:
    """The command behind ``edit_order``: ``edit``'s address is already normalised."""
    session = tx.session
    order = session.get(Order, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if problems := _problems(edit, order.fulfilment_mode):
        raise OrderRejected(problems)
    _check(session, actor, order, version)
    claim(session, order)  # locks the order row (PostgreSQL) before touching stock
    changes = _apply(tx, order, edit)
    if not changes:
        raise OrderRejected({"order": "nothing_changed"})
    edited = OrderEdited(number=order.number, changes=tuple(changes), **accounted(account_of(session, order)))
    record(tx, edited, f"order:{order.id}", actor.user_id)
    tx.at_batch_end(("stock.settle", actor.user_id), settle_batch(actor.user_id, draft_reorder))
    return load_summary(session, order.id)


_SET_TOTALS = (
    "UPDATE orders SET net_minor = :net_minor, tax_minor = :tax_minor, total_minor = :total_minor,"
    " location_id = :location_id WHERE id = :order_id"
)


@dataclass(frozen=True)
class _Rebasket:
    """What the synchronous part of an edit needs to know of the order as it was."""

    order_id: int
    mode: str
    before: OrderShape
    location: stocking.Place
    address_text: str
    sold_at: dict[int, tuple[int, int]]


def _apply(tx: Tx, order: Order, edit: OrderEdit) -> list[str]:
    session = tx.session
    current = _current_lines(session, order.id)
    code = session.scalar(select(Location.code).where(Location.id == order.location_id))
    before = OrderShape({line.sku: line.quantity for line in current}, _address_text(order), code or "")
    wanted = (
        edit.lines if edit.lines is not None else [WantedLine(line.sku, line.quantity) for line in current]
    )
    if edit.address is not None:
        _set_address(order, edit.address)
    was = _Rebasket(
        order.id,
        order.fulfilment_mode,
        before,
        stocking.Place(order.location_id, code or ""),
        _address_text(order),
        {line.product_id: (line.unit_price_minor, line.tax_rate_centi) for line in current},
    )
    return _rebasket(tx, was, wanted, edit.location)


def _rebasket(tx: Tx, was: _Rebasket, wanted: list[WantedLine], location_code: str | None) -> list[str]:
    """Price the new basket, hold it (at the new location, if one is named) and write it; returns
    the readable diff, empty when nothing changed (and then nothing is written)."""
    priced = stocking.price(wanted, stocking.products_for(tx, wanted), was.sold_at)
    location = was.location
    if location_code is not None:
        location = stocking.choose_location(
            tx, was.mode, location_code, priced=priced, destination=None, backorderable=frozenset()
        )
    after = OrderShape({line.sku: line.quantity for line in priced}, was.address_text, location.code)
    changes = edit_diff(was.before, after)
    if not changes:
        return []
    holds.release(tx, stocking.reference(was.order_id))
    backordered = stocking.hold(tx, was.order_id, priced, location)
    stocking.forget_lines(tx, was.order_id)
    stocking.write_lines(tx, was.order_id, priced, backordered)
    totals = pricing.totals(priced)
    tx.execute(_SET_TOTALS, {**asdict(totals), "location_id": location.id, "order_id": was.order_id})
    return changes


async def change_location(
    db: Database, actor: Actor, order_id: int, location: str, *, version: int | None = None
) -> OrderSummary:
    """Serve the order from another location (a code), holding its stock there instead."""
    return await edit_order(db, actor, order_id, OrderEdit(location=location), version=version)
