"""What the acceptance queue shows: the orders waiting for a decision, as cards, in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.inventory.models import Location
from backend.kernel.db import Database
from backend.orders.errors import OrderNotFound
from backend.orders.models import Order, OrderLine
from backend.orders.rules import AWAITING_DECISION
from backend.orders.views import OrderSummary, summary_of

WAITING = tuple(status.value for status in AWAITING_DECISION)
MAX_QUEUE = 200  # a queue longer than this is a backlog to work through, not to scroll


@dataclass(frozen=True)
class QueueCard:
    """One order waiting for a decision, as its card shows it."""

    order: OrderSummary
    location_name: str
    items: int  # units over every line


@dataclass(frozen=True)
class LocationChoice:
    code: str
    name: str


def is_waiting(order: OrderSummary) -> bool:
    return order.status in WAITING


def waiting_time(order: OrderSummary, now: datetime) -> timedelta:
    return max(timedelta(0), now - order.placed_at)


def minutes_waiting(order: OrderSummary, now: datetime) -> int:
    return int(waiting_time(order, now).total_seconds() // 60)


def _cards(where: ColumnElement[bool]) -> Select[tuple[Order, str, str, int | None]]:
    items = (
        select(OrderLine.order_id, func.sum(OrderLine.quantity).label("units"))
        .group_by(OrderLine.order_id)
        .subquery()
    )
    return (
        select(Order, Location.code, Location.name, items.c.units)
        .join(Location, Location.id == Order.location_id)
        .outerjoin(items, items.c.order_id == Order.id)
        .where(where)
    )


def _card(order: Order, code: str, name: str, units: int | None) -> QueueCard:
    return QueueCard(summary_of(order, code), name, int(units or 0))


async def waiting_orders(session: AsyncSession) -> list[QueueCard]:
    """Newest first: what just arrived is what the owner looks at."""
    query = _cards(Order.status.in_(WAITING)).order_by(Order.id.desc()).limit(MAX_QUEUE)
    return [_card(*row) for row in await session.execute(query)]


async def count_waiting(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).where(Order.status.in_(WAITING))) or 0)


async def queue_card(session: AsyncSession, order_id: int) -> QueueCard:
    """Raises ``OrderNotFound``."""
    row = (
        await session.execute(_cards(Order.id == order_id).execution_options(populate_existing=True))
    ).first()
    if row is None:
        raise OrderNotFound(order_id)
    return _card(*row)


async def location_choices(session: AsyncSession) -> list[LocationChoice]:
    rows = await session.execute(select(Location.code, Location.name).order_by(Location.name))
    return [LocationChoice(code, name) for code, name in rows]


@dataclass(frozen=True)
class QueueBoard:
    cards: list[QueueCard]  # the orders waiting, oldest first
    locations: list[LocationChoice]
    refused: QueueCard | None  # the order an action was just refused on, as it is now


async def queue_board(db: Database, refused_id: int | None = None) -> QueueBoard:
    """The queue page: the waiting orders and the locations to move them to, and the order of
    ``refused_id`` (raises ``OrderNotFound`` when it is gone)."""
    async with db.read() as session:
        cards = await waiting_orders(session)
        locations = await location_choices(session)
        refused = await queue_card(session, refused_id) if refused_id is not None else None
    return QueueBoard(cards, locations, refused)


async def card_with_choices(db: Database, order_id: int) -> tuple[QueueCard, list[LocationChoice]]:
    """One order's card, and the locations to move it to. Raises ``OrderNotFound``."""
    async with db.read() as session:
        return await queue_card(session, order_id), await location_choices(session)
