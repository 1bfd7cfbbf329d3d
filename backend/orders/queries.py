"""Reading orders: one order with its lines and timeline, and the order list (filters, search,
keyset pages newest first). Each takes a read session.

The list is newest first by id, which follows the order of placing. Within dates it is newest
first by the time placed (ties by id): the (placed_at, id) index then walks the period in the
list's own order and stops after a page, where ordering by id would sort the whole period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.auth.models import User
from backend.auth.rules import normalise_email
from backend.inventory.models import Location
from backend.kernel.events import Event
from backend.orders.drafts import normalise_phone
from backend.orders.errors import OrderNotFound
from backend.orders.models import Order, OrderLine
from backend.orders.views import OrderDetail, OrderSummary, TimelineEntry, address_of, line_of, summary_of
from backend.web import inputs

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
ORDER_NUMBER = re.compile(r"^[A-Za-z]{2,5}-[0-9][0-9-]*$")  # ORD-2026-000123


async def get_order(session: AsyncSession, order_id: int) -> OrderDetail:
    """The order, its lines and its whole timeline (oldest first). Raises ``OrderNotFound``."""
    row = (
        await session.execute(
            select(Order, Location.code)
            .join(Location, Location.id == Order.location_id)
            .where(Order.id == order_id)
        )
    ).first()
    if row is None:
        raise OrderNotFound(order_id)
    order, code = row
    lines = await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.position)
    )
    return OrderDetail(
        summary=summary_of(order, code),
        address=address_of(order),
        notes=order.notes,
        lines=[line_of(line) for line in lines],
        timeline=await timeline(session, order_id),
    )


async def timeline(session: AsyncSession, order_id: int) -> list[TimelineEntry]:
    rows = await session.execute(
        select(Event, User.name)
        .outerjoin(User, User.id == Event.actor_id)
        .where(Event.subject == f"order:{order_id}")
        .order_by(Event.id)
    )
    return [
        TimelineEntry(event.id, event.at, event.type, event.actor_id, name, dict(event.data))
        for event, name in rows
    ]


@dataclass(frozen=True)
class OrderQuery:
    status: str | None = None
    channel: str | None = None
    fulfilment_mode: str | None = None
    priority: str | None = None
    customer_id: int | None = None
    placed_from: datetime | None = None  # inclusive
    placed_before: datetime | None = None  # exclusive
    q: str = ""  # an order number, a phone number, an e-mail or part of the customer's name
    after_id: int | None = None  # the keyset cursor: orders older than this one
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class OrderPage:
    items: list[OrderSummary]
    next_cursor: str | None


def _search(query: Select[tuple[Order, str]], q: str) -> Select[tuple[Order, str]]:
    q = q.strip()
    if not q:
        return query
    if ORDER_NUMBER.match(q):  # a number is looked up in its unique index, not among the names too
        return query.where(Order.number == q.upper())
    matches = [
        Order.number == q.upper(),
        func.lower(Order.customer_name).contains(q.lower(), autoescape=True),
    ]
    if "@" in q:
        matches.append(Order.email == normalise_email(q))
    phone = normalise_phone(q)
    if phone.lstrip("+").isdigit():
        matches.append(Order.phone == phone)
    return query.where(or_(*matches))


def _filtered(wanted: OrderQuery) -> Select[tuple[Order, str]]:
    query = select(Order, Location.code).join(Location, Location.id == Order.location_id)
    for column, value in (
        (Order.status, wanted.status),
        (Order.channel, wanted.channel),
        (Order.fulfilment_mode, wanted.fulfilment_mode),
        (Order.priority, wanted.priority),
        (Order.customer_id, wanted.customer_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if wanted.placed_from is not None:
        query = query.where(Order.placed_at >= wanted.placed_from)
    return _search(query, wanted.q)  # the period's end goes with the keyset: see _before_in_time


def _newest_first(query: Select[tuple[Order, str]], wanted: OrderQuery) -> Select[tuple[Order, str]]:
    """The list's order, and the keyset after the cursor's order in that same order."""
    if wanted.placed_from is None and wanted.placed_before is None:
        if wanted.after_id is not None:
            query = query.where(Order.id < wanted.after_id)
        return query.order_by(Order.id.desc())
    return _before_in_time(query, wanted).order_by(Order.placed_at.desc(), Order.id.desc())


def _before_in_time(query: Select[tuple[Order, str]], wanted: OrderQuery) -> Select[tuple[Order, str]]:
    """Orders before the period's end and before the cursor's order, as one upper bound: given
    two, SQLite seeks to the period's end and walks every order from there to the cursor."""
    if wanted.after_id is None:
        if wanted.placed_before is None:
            return query
        return query.where(Order.placed_at < wanted.placed_before)
    # The cursor stays an id; its order's placed_at is read as stored, so orders placed at the
    # same instant as the last one shown are neither repeated nor skipped.
    shown = aliased(Order)
    cursor = select(shown.placed_at).where(shown.id == wanted.after_id)
    if wanted.placed_before is not None:  # a cursor past the period's end selects nothing
        cursor = cursor.where(shown.placed_at < wanted.placed_before)
    return query.where(tuple_(Order.placed_at, Order.id) < tuple_(cursor.scalar_subquery(), wanted.after_id))


async def list_orders(session: AsyncSession, wanted: OrderQuery) -> OrderPage:
    """Newest first (see the module's note); ``next_cursor`` (the last id shown) asks for the
    page after."""
    limit = max(1, min(wanted.limit, MAX_PAGE_SIZE))
    rows = (await session.execute(_newest_first(_filtered(wanted), wanted).limit(limit + 1))).all()
    items = [summary_of(order, code) for order, code in rows[:limit]]
    more = len(rows) > limit
    return OrderPage(items, str(items[-1].id) if more and items else None)


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    if (after_id := inputs.parse_id(cursor)) is None:
        raise ValueError("cursor_invalid")
    return after_id
