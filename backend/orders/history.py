"""What the shop knows of a customer: contact details, addresses, orders, and what they are worth.

Lifetime value counts the orders the shop kept: rejected and cancelled ones never became sales.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend.customers.models import Customer, CustomerAddress
from backend.kernel.db import Database
from backend.orders.models import Order
from backend.web import inputs

PAGE_SIZE = 50
NOT_SALES = ("rejected", "cancelled")


@dataclass(frozen=True)
class Worth:
    orders: int  # every order, whatever became of it
    value_minor: int  # what the kept orders came to
    currency: str | None
    last_order_at: datetime | None


NO_ORDERS = Worth(0, 0, None, None)


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    email: str | None
    phone: str | None
    worth: Worth


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    next_cursor: str | None


@dataclass(frozen=True)
class OrderLine:
    id: int
    number: str
    status: str
    channel: str
    total_minor: int
    currency: str
    placed_at: datetime


@dataclass(frozen=True)
class CustomerFile:
    customer: Customer
    addresses: list[CustomerAddress]
    orders: list[OrderLine]
    worth: Worth


def _search(text: str) -> ColumnElement[bool] | None:
    text = text.strip()[:100]
    if not text:
        return None
    digits = re.sub(r"[^0-9+]", "", text)
    like = "%" + text.replace("%", "").replace("_", "").lower() + "%"
    found = [func.lower(Customer.name).like(like), func.lower(Customer.email).like(like)]
    # Numbers are stored in international form (+33612345678) and often typed in the national
    # one (06 12 34 …): the trunk zero is left out of the match.
    digits = digits.lstrip("+").lstrip("0")
    if len(digits) >= 4:
        found.append(Customer.phone.like(f"%{digits}%"))
    return or_(*found)


async def worth_of(session: AsyncSession, customer_ids: list[int]) -> dict[int, Worth]:
    if not customer_ids:
        return {}
    kept = func.sum(Order.total_minor).filter(Order.status.not_in(NOT_SALES))
    rows = await session.execute(
        select(Order.customer_id, func.count(), kept, func.max(Order.currency), func.max(Order.placed_at))
        .where(Order.customer_id.in_(customer_ids))
        .group_by(Order.customer_id)
    )
    return {cid: Worth(count, int(value or 0), currency, last) for cid, count, value, currency, last in rows}


def encode_cursor(row: CustomerRow) -> str:
    return f"{row.id}:{row.name}"


def decode_cursor(cursor: str | None) -> tuple[str, int] | None:
    raw_id, _, name = (cursor or "").partition(":")
    after_id = inputs.parse_id(raw_id)
    return None if after_id is None else (name, after_id)


async def list_customers(session: AsyncSession, text: str, cursor: str | None) -> CustomerPage:
    statement = select(Customer).order_by(Customer.name, Customer.id).limit(PAGE_SIZE + 1)
    conditions = [c for c in (_search(text),) if c is not None]
    if after := decode_cursor(cursor):
        conditions.append(tuple_(Customer.name, Customer.id) > tuple_(*after))
    if conditions:
        statement = statement.where(and_(*conditions))
    customers = list(await session.scalars(statement))
    page = customers[:PAGE_SIZE]
    worth = await worth_of(session, [c.id for c in page])
    rows = [CustomerRow(c.id, c.name, c.email, c.phone, worth.get(c.id, NO_ORDERS)) for c in page]
    more = len(customers) > PAGE_SIZE
    return CustomerPage(rows, encode_cursor(rows[-1]) if more and rows else None)


async def find_customers(db: Database, text: str) -> CustomerPage:
    """The first page of customers matching ``text`` (name, email or phone)."""
    async with db.read() as session:
        return await list_customers(session, text, None)


async def contact_of(db: Database, customer_id: int) -> Customer | None:
    async with db.read() as session:
        return await session.get(Customer, customer_id)


async def customer_file(session: AsyncSession, customer_id: int) -> CustomerFile | None:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        return None
    addresses = await session.scalars(
        select(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id)
        .order_by(CustomerAddress.last_used_at.desc())
    )
    orders = await session.execute(
        select(
            Order.id,
            Order.number,
            Order.status,
            Order.channel,
            Order.total_minor,
            Order.currency,
            Order.placed_at,
        )
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(200)
    )
    worth = (await worth_of(session, [customer_id])).get(customer_id, NO_ORDERS)
    return CustomerFile(customer, list(addresses), [OrderLine(*row) for row in orders], worth)
