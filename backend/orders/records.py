"""Reading an order back and claiming it for a change: helpers shared by the order operations."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.customers.models import Customer
from backend.db import utcnow
from backend.inventory.models import Location
from backend.orders.errors import OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.models import Order
from backend.orders.rules import Actor
from backend.orders.views import OrderSummary, summary_of


async def load_summary(session: AsyncSession, order_id: int) -> OrderSummary:
    order = await session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise OrderNotFound(order_id)
    code = await session.scalar(select(Location.code).where(Location.id == order.location_id))
    return summary_of(order, code or "")


def accounted(account: int | None) -> dict[str, int]:
    """What an order event carries of its customer's account, so that the account's own pages
    hear of it (``orders.live``); nothing for a customer without one."""
    return {"account": account} if account is not None else {}


async def account_of(session: AsyncSession, order: Order) -> int | None:
    """The customer account the order belongs to, if its customer has one."""
    return await session.scalar(select(Customer.user_id).where(Customer.id == order.customer_id))


async def is_own_order(session: AsyncSession, actor: Actor, order: Order) -> bool:
    if actor.user_id is None:
        return False
    return await account_of(session, order) == actor.user_id


async def claim(session: AsyncSession, order: Order, status: str | None = None) -> None:
    """Bump the version if the order is still as read (status too, when given). On PostgreSQL the
    UPDATE waits for a concurrent writer and then finds nothing: that writer won."""
    conditions = [Order.id == order.id, Order.version == order.version]
    if status is not None:
        conditions.append(Order.status == order.status)
    values = {"version": Order.version + 1, "updated_at": utcnow()}
    if status is not None:
        values["status"] = status
    result = await session.execute(update(Order).where(*conditions).values(**values))
    if result.rowcount != 1:
        current = await load_summary(session, order.id)
        if status is not None and current.status != order.status:
            raise TransitionRefused("transition_not_allowed", current)
        raise StaleOrder(current)
    await session.refresh(order)
