"""Reads of returns: one return with its lines, the list for the staff, an order's returns, what a
customer may still send back, and the return rate per product."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Product
from backend.inventory.models import StockMovement
from backend.inventory.rules import MovementKind
from backend.invoicing.models import Invoice
from backend.kernel.events import Event
from backend.orders.models import Order, OrderLine
from backend.returns import rules
from backend.returns.models import Return, ReturnLine, ReturnSettings
from backend.returns.rules import ReturnStatus

PAGE = 100


@dataclass(frozen=True)
class LineView:
    sku: str
    name: str
    quantity: int
    reason: str
    condition: str | None
    restocked: int


@dataclass(frozen=True)
class ReturnView:
    id: int
    order_id: int
    order_number: str
    customer_name: str
    status: str
    note: str
    decision_note: str
    currency: str
    refund_minor: int
    credit_note_id: int | None
    credit_note_number: str | None
    version: int
    requested_at: datetime
    payment_method: str
    lines: tuple[LineView, ...]

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


async def _lines(session: AsyncSession, return_ids: list[int]) -> dict[int, list[LineView]]:
    found: dict[int, list[LineView]] = {}
    if not return_ids:
        return found
    rows = await session.execute(
        select(
            ReturnLine.return_id,
            ReturnLine.sku,
            ReturnLine.name,
            ReturnLine.quantity,
            ReturnLine.reason,
            ReturnLine.condition,
            ReturnLine.restocked,
        )
        .where(ReturnLine.return_id.in_(return_ids))
        .order_by(ReturnLine.id)
    )
    for return_id, *line in rows:
        found.setdefault(return_id, []).append(LineView(*line))
    return found


def _query() -> Select[Any]:
    return (
        select(
            Return.id,
            Return.order_id,
            Order.number,
            Order.customer_name,
            Return.status,
            Return.note,
            Return.decision_note,
            Return.currency,
            Return.refund_minor,
            Return.credit_note_id,
            Invoice.number,
            Return.version,
            Return.requested_at,
            Order.payment_method,
        )
        .join(Order, Order.id == Return.order_id)
        .outerjoin(Invoice, Invoice.id == Return.credit_note_id)
    )


async def _views(session: AsyncSession, query: Select[Any]) -> list[ReturnView]:
    rows = (await session.execute(query)).all()
    lines = await _lines(session, [row[0] for row in rows])
    return [ReturnView(*row, lines=tuple(lines.get(row[0], ()))) for row in rows]


async def get_return(session: AsyncSession, return_id: int) -> ReturnView | None:
    found = await _views(session, _query().where(Return.id == return_id))
    return found[0] if found else None


async def list_returns(session: AsyncSession, status: str | None = None) -> list[ReturnView]:
    """Newest first; the open ones first when no status is asked for."""
    query = _query()
    if status:
        query = query.where(Return.status == status)
    return await _views(session, query.order_by(Return.id.desc()).limit(PAGE))


async def returns_of_order(session: AsyncSession, order_id: int) -> list[ReturnView]:
    return await _views(session, _query().where(Return.order_id == order_id).order_by(Return.id))


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Return.status, func.count()).group_by(Return.status))
    return {status: int(count) for status, count in rows.all()}


async def window_days(session: AsyncSession) -> tuple[int, int]:
    """The return window in days and the settings' version (0 while never saved)."""
    saved = await session.get(ReturnSettings, 1)
    return (saved.window_days, saved.version) if saved is not None else (rules.DEFAULT_WINDOW_DAYS, 0)


@dataclass(frozen=True)
class Returnable:
    sku: str
    name: str
    delivered: int
    left: int  # units that may still come back


@dataclass(frozen=True)
class Eligibility:
    lines: tuple[Returnable, ...]
    window_open: bool
    delivered: bool
    closes_at: datetime | None

    @property
    def may_ask(self) -> bool:
        return self.delivered and self.window_open and any(line.left for line in self.lines)


async def eligibility(session: AsyncSession, order_id: int, now: datetime) -> Eligibility:
    """What the order's customer may still send back, and until when."""
    status = await session.scalar(select(Order.status).where(Order.id == order_id))
    delivered = status in rules.RETURNABLE_ORDER_STATUSES
    at = await session.scalar(
        select(func.max(Event.at)).where(
            Event.subject == f"order:{order_id}", Event.type.in_(("order.delivered", "order.picked_up"))
        )
    )
    days, _ = await window_days(session)
    returned = dict(
        (
            await session.execute(
                select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
                .join(Return, Return.id == ReturnLine.return_id)
                .where(Return.order_id == order_id, Return.status != ReturnStatus.REFUSED)
                .group_by(ReturnLine.order_line_id)
            )
        ).all()
    )
    lines = await session.execute(
        select(OrderLine.id, OrderLine.sku, OrderLine.name, OrderLine.quantity)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.position)
    )
    shown = tuple(
        Returnable(sku, name, quantity, rules.returnable_units(quantity, int(returned.get(line_id, 0))))
        if delivered
        else Returnable(sku, name, 0, 0)
        for line_id, sku, name, quantity in lines
    )
    closes = at + timedelta(days=days) if at is not None else None
    return Eligibility(shown, rules.window_open(at, now, days), delivered, closes)


@dataclass(frozen=True)
class ProductRate:
    product_id: int
    sku: str
    name: str
    sold: int
    returned: int

    @property
    def rate(self) -> float:
        return rules.return_rate(self.returned, self.sold)


async def return_rates(session: AsyncSession, limit: int = 20) -> list[ProductRate]:
    """Per product: units sold (the ledger's sales) and units asked back in returns not refused,
    highest rate first."""
    sold = (
        select(StockMovement.product_id, (-func.sum(StockMovement.quantity)).label("sold"))
        .where(StockMovement.kind == MovementKind.SALE)
        .group_by(StockMovement.product_id)
        .subquery()
    )
    returned = (
        select(ReturnLine.product_id, func.sum(ReturnLine.quantity).label("returned"))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.status != ReturnStatus.REFUSED)
        .group_by(ReturnLine.product_id)
        .subquery()
    )
    rows = await session.execute(
        select(Product.id, Product.sku, Product.name, func.coalesce(sold.c.sold, 0), returned.c.returned)
        .join(returned, returned.c.product_id == Product.id)
        .outerjoin(sold, sold.c.product_id == Product.id)
    )
    rates = [ProductRate(pid, sku, name, int(s), int(r)) for pid, sku, name, s, r in rows]
    return sorted(rates, key=lambda rate: (-rate.rate, -rate.returned, rate.sku))[:limit]
