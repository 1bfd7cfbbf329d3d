"""A signed-in customer's own orders: the list on their home, and what it hears live.

Orders belong to an account through the customer record linked to it (``Customer.user_id``).
Their events carry that account (``orders.records.accounted``) and go to the account's own topic,
``orders-of:<user id>``, which only that person's socket joins (``realtime.rules``). What the socket
hears is said as the tracking page says it, never the shop's notes or who did what; the pages that
show the customer's orders then ask for themselves again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.customers.models import Customer
from backend.kernel.events import ORDERS_OF_PREFIX, Event, orders_of_topic
from backend.orders.models import Order
from backend.storefront import tracking

SHOWN = 100  # a customer with more sees their newest, and is told so


@dataclass(frozen=True)
class MyOrder:
    id: int
    number: str
    status: str
    total_minor: int
    currency: str
    placed_at: datetime


async def orders_of(session: AsyncSession, user_id: int, limit: int = SHOWN) -> list[MyOrder]:
    """The account's orders, newest first."""
    rows = await session.execute(
        select(Order.id, Order.number, Order.status, Order.total_minor, Order.currency, Order.placed_at)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Customer.user_id == user_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return [MyOrder(*row) for row in rows.all()]


def step_label(event: Event) -> str | None:
    """The step as its tracking page names it (untranslated), or None for what it does not show."""
    return tracking.STEP_LABELS.get(tracking.step_type(event))


def _to_its_account(event: Event) -> set[str]:
    account = getattr(event.payload, "account", None)  # UNSET: a customer without an account
    if not isinstance(account, int) or step_label(event) is None:
        return set()
    return {orders_of_topic(account)}


TOPIC_RULE = ("order.*", _to_its_account)
TOPIC_TEMPLATE = (ORDERS_OF_PREFIX, "storefront/_live_my_orders.html")
TEMPLATE_GLOBALS = {"customer_step": step_label}
