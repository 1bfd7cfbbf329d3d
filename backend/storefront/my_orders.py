"""A signed-in customer's own orders: the list on their home, what it hears live, and ordering
one again in one tap.

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

from backend.customers.models import Customer, CustomerAddress
from backend.kernel.events import ORDERS_OF_PREFIX, Event, orders_of_topic
from backend.orders.models import Order, OrderLine
from backend.storefront import tracking
from backend.storefront.cart import MAX_QUANTITY, Cart, CartRejected, set_quantity
from backend.storefront.offer import PricedCart

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


@dataclass(frozen=True)
class Ordered:
    product_id: int
    name: str  # as it was sold, to name it when it is not sold any more
    quantity: int


async def lines_of(session: AsyncSession, order_id: int, user_id: int) -> list[Ordered] | None:
    """What one of the account's orders held, to order it again; None for anyone else's order."""
    rows = await session.execute(
        select(OrderLine.product_id, OrderLine.name, OrderLine.quantity)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.id == order_id, Customer.user_id == user_id)
        .order_by(OrderLine.position)
    )
    found = [Ordered(*row) for row in rows.all()]
    return found or None


@dataclass(frozen=True)
class Missing:
    name: str
    wanted: int
    added: int  # 0: none to be had (not sold any more, sold out, or in another currency)


def reorder(
    cart: Cart, ordered: list[Ordered], today: PricedCart, currency: str | None
) -> tuple[Cart, list[Missing]]:
    """``cart`` with the order's lines added at today's prices (``today`` prices them), as many as
    can be had of each; and what could not be, each named as it was sold. ``currency``: the cart's
    own, which the added lines must share."""
    offered = {line.product_id: line for line in today.lines}
    missing = []
    for line in ordered:
        now = offered.get(line.product_id)
        can = 0
        if now is not None and (currency is None or now.currency == currency):
            room = MAX_QUANTITY - cart.quantity_of(line.product_id)
            free = (
                line.quantity
                if now.allow_backorder
                else max(now.available - cart.quantity_of(line.product_id), 0)
            )
            can = max(min(line.quantity, free, room), 0)
            currency = currency or now.currency
        if can:
            try:
                cart = set_quantity(cart, line.product_id, cart.quantity_of(line.product_id) + can)
            except CartRejected:  # the cart is full: this line stays out
                can = 0
        if can < line.quantity:
            missing.append(Missing(now.name if now else line.name, line.quantity, can))
    return cart, missing


@dataclass(frozen=True)
class SavedAddress:
    id: int
    line1: str
    postal_code: str
    city: str
    country: str


@dataclass(frozen=True)
class Saved:
    """What the account's customer record remembers, to fill the checkout with."""

    phone: str
    addresses: list[SavedAddress]  # the last used first


SAVED_ADDRESSES = 5


async def saved_details(session: AsyncSession, user_id: int) -> Saved:
    customer = (
        await session.execute(
            select(Customer.id, Customer.phone)
            .where(Customer.user_id == user_id)
            .order_by(Customer.id)
            .limit(1)
        )
    ).first()
    if customer is None:
        return Saved("", [])
    rows = await session.execute(
        select(
            CustomerAddress.id,
            CustomerAddress.line1,
            CustomerAddress.postal_code,
            CustomerAddress.city,
            CustomerAddress.country,
        )
        .where(CustomerAddress.customer_id == customer.id)
        .order_by(CustomerAddress.last_used_at.desc(), CustomerAddress.id.desc())
        .limit(SAVED_ADDRESSES)
    )
    return Saved(customer.phone or "", [SavedAddress(*row) for row in rows.all()])
