"""Customers' ratings of their orders: 1 to 5 stars and a comment, once an order was delivered or
collected. One rating per order, which the customer may change while their tracking link works
(they rated in a hurry, or the shop put a problem right): the latest is what the shop reads, and
each change is on the order's timeline. Whoever holds the order's tracking link may rate it; the
caller checks the link (``storefront.tracking``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.customers.models import Customer
from backend.kernel.db import utcnow
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders.errors import OrderNotFound
from backend.orders.events import OrderRated
from backend.orders.models import Order, OrderRating
from backend.orders.records import accounted
from backend.orders.rules import OrderStatus

RATABLE = frozenset({OrderStatus.DELIVERED, OrderStatus.PICKED_UP})
MAX_COMMENT = 1000
LISTED = 200


class RatingRefused(Exception):
    """Field → problem code (``stars_out_of_range``, ``comment_too_long``, ``not_received``)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class StaleRating(Exception):
    """The rating changed since the customer read it (another tab, another phone)."""


@dataclass(frozen=True)
class RatingInput:
    order_id: int
    stars: int | None  # None: not a whole number, or missing
    comment: str
    version: int  # the rating's version the customer saw; 0: none yet


@dataclass(frozen=True)
class Rating:
    order_id: int
    stars: int
    comment: str
    rated_at: datetime
    updated_at: datetime
    version: int


def problems(wanted: RatingInput, status: str) -> dict[str, str]:
    """What is wrong with a rating of an order in ``status``; empty when it may be saved."""
    found = {}
    if status not in RATABLE:
        found["general"] = "not_received"
    if wanted.stars is None or not 1 <= wanted.stars <= 5:
        found["stars"] = "stars_out_of_range"
    if len(wanted.comment) > MAX_COMMENT:
        found["comment"] = "comment_too_long"
    return found


def rate_order(tx: Tx, wanted: RatingInput) -> Rating:
    """Save the customer's rating, or their change of it; raise ``RatingRefused`` or ``StaleRating``."""
    session = tx.session
    query = (
        select(Order.number, Order.status, Customer.user_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.id == wanted.order_id)
    )
    if tx.dialect == "postgresql":  # two first ratings at once: the second waits, then is stale
        query = query.with_for_update(of=Order)
    found = session.execute(query).first()
    if found is None:
        raise OrderNotFound(wanted.order_id)
    number, status, account = found
    if wrong := problems(wanted, status):
        raise RatingRefused(wrong)
    assert wanted.stars is not None  # checked by ``problems``
    rating = session.get(OrderRating, wanted.order_id)
    if (rating.version if rating else 0) != wanted.version:
        raise StaleRating(wanted.order_id)
    now = utcnow()
    if rating is None:
        rating = OrderRating(
            order_id=wanted.order_id, stars=wanted.stars, comment=wanted.comment, rated_at=now
        )
        session.add(rating)
    else:
        rating.stars, rating.comment, rating.version = wanted.stars, wanted.comment, rating.version + 1
    rating.updated_at = now
    session.flush()
    changed = rating.version > 1
    record(
        tx,
        OrderRated(number=number, stars=wanted.stars, changed=changed, **accounted(account)),
        f"order:{wanted.order_id}",
    )
    return _view(rating)


def _view(row: OrderRating) -> Rating:
    return Rating(row.order_id, row.stars, row.comment, row.rated_at, row.updated_at, row.version)


async def rating_of(session: AsyncSession, order_id: int) -> Rating | None:
    row = await session.get(OrderRating, order_id)
    return _view(row) if row is not None else None


@dataclass(frozen=True)
class RatedOrder:
    order_id: int
    number: str
    customer_name: str
    stars: int
    comment: str
    updated_at: datetime


@dataclass(frozen=True)
class RatingList:
    ratings: list[RatedOrder]  # the newest first, at most ``LISTED``
    count: int  # all of them
    average: float | None  # over all of them; None without any
    by_stars: dict[int, int]  # stars → how many


async def ratings_list(session: AsyncSession, stars: int | None = None) -> RatingList:
    """The ratings, newest first (only those with ``stars`` if given), with the figures over all."""
    query = (
        select(
            Order.id,
            Order.number,
            Order.customer_name,
            OrderRating.stars,
            OrderRating.comment,
            OrderRating.updated_at,
        )
        .join(Order, Order.id == OrderRating.order_id)
        .order_by(OrderRating.updated_at.desc(), Order.id.desc())
        .limit(LISTED)
    )
    if stars is not None:
        query = query.where(OrderRating.stars == stars)
    listed = [RatedOrder(*row) for row in await session.execute(query)]
    counts = dict(
        (await session.execute(select(OrderRating.stars, func.count()).group_by(OrderRating.stars))).all()
    )
    count = sum(counts.values())
    average = sum(s * n for s, n in counts.items()) / count if count else None
    return RatingList(listed, count, average, {s: counts.get(s, 0) for s in range(5, 0, -1)})
