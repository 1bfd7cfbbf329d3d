"""The tracking page's view of an order, found by the secret token only its customer holds.

Shoppers see where their order stands and what happened to it, never the shop's internal notes:
hold reasons and risk checks stay behind the counter. A customer signed in to the account the
order belongs to may also call it off from there, while the order rules let customers do so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.customers.models import Customer
from backend.i18n.translation import N_
from backend.inventory.models import Location
from backend.kernel.db import utcnow
from backend.kernel.events import Event
from backend.orders import labels
from backend.orders.decisions import offered_moves
from backend.orders.events import OrderPlaced
from backend.orders.models import Order, OrderLine
from backend.orders.placing import hash_tracking_token
from backend.orders.rules import FINAL, Actor, FulfilmentMode, OrderStatus
from backend.shop.models import ShopProfile

# What each step means to the customer; on_hold reads as "being checked", without the why.
STEP_LABELS = {
    "order.placed": N_("Order received"),
    "order.on_hold": N_("Being checked by the shop"),
    "order.released": N_("Checked, waiting for the shop"),
    "order.accepted": N_("Accepted by the shop"),
    "order.rejected": N_("Declined by the shop"),
    "order.edited": N_("Order changed"),
    "order.picking": N_("Being prepared"),
    "order.packed": N_("Packed"),
    "order.out_for_delivery": N_("Out for delivery"),
    "order.shipped": N_("Shipped"),
    "order.ready_for_pickup": N_("Ready for pickup"),
    "order.delivered": N_("Delivered"),
    "order.picked_up": N_("Collected"),
    "order.delivery_failed": N_("Delivery attempt failed"),
    "order.cancelled": N_("Cancelled"),
}
STATUS_LABELS = labels.FOR_CUSTOMERS
# Reasons the customer should read: the shop's own words when it declines or cancels.
SHOWN_REASONS = frozenset({"order.rejected", "order.cancelled"})
# The events that end an order: its tracking link stops working some days after (the shop's
# ``tracking_days``), so an old link found in a mailbox says nothing any more.
FINAL_STEPS = frozenset(f"order.{status}" for status in FINAL)
DEFAULT_TRACKING_DAYS = 30
S = OrderStatus
# The customer's way through each mode, and where each status stands on it. A failed delivery
# waits to go out again (packed); picking is the shop at work on an accepted order.
MILESTONES = {
    FulfilmentMode.DELIVERY: (
        "order.placed",
        "order.accepted",
        "order.packed",
        "order.out_for_delivery",
        "order.delivered",
    ),
    FulfilmentMode.SHIPPING: (
        "order.placed",
        "order.accepted",
        "order.packed",
        "order.shipped",
        "order.delivered",
    ),
    FulfilmentMode.PICKUP: (
        "order.placed",
        "order.accepted",
        "order.packed",
        "order.ready_for_pickup",
        "order.picked_up",
    ),
}
REACHED = {
    S.PLACED: 0,
    S.ON_HOLD: 0,
    S.ACCEPTED: 1,
    S.PICKING: 1,
    S.PACKED: 2,
    S.DELIVERY_FAILED: 2,
    S.OUT_FOR_DELIVERY: 3,
    S.SHIPPED: 3,
    S.READY_FOR_PICKUP: 3,
    S.DELIVERED: 4,
    S.PICKED_UP: 4,
}


@dataclass(frozen=True)
class Step:
    type: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class TrackedLine:
    name: str
    quantity: int
    total_minor: int


@dataclass(frozen=True)
class Tracked:
    id: int
    version: int
    customer_user_id: int | None  # the account the order belongs to, if the customer has one
    number: str
    status: str
    fulfilment_mode: str
    total_minor: int
    currency: str
    placed_at: datetime
    location_name: str
    location_address: str
    lines: list[TrackedLine]
    steps: list[Step]
    tracking_days: int = DEFAULT_TRACKING_DAYS

    @property
    def done_at(self) -> datetime | None:
        """When the order ended (delivered, collected, cancelled, declined); None while it runs."""
        if self.status not in FINAL:
            return None
        return next((step.at for step in reversed(self.steps) if step.type in FINAL_STEPS), self.placed_at)

    @property
    def link_ends_at(self) -> datetime | None:
        done = self.done_at
        return done + timedelta(days=self.tracking_days) if done is not None else None

    def link_expired(self, now: datetime) -> bool:
        ends = self.link_ends_at
        return ends is not None and now >= ends


@dataclass(frozen=True)
class Milestone:
    type: str  # the step's event type, which names it (``STEP_LABELS``)
    at: datetime | None  # when it was last reached; None: not yet
    state: str  # done, current or todo


def milestones(order: Tracked) -> list[Milestone]:
    """The steps of the order's mode, each done, current or still to come, with its time; none for
    an order called off or declined, whose steps say what happened."""
    reached = REACHED.get(OrderStatus(order.status))
    if reached is None:
        return []
    last = {step.type: step.at for step in order.steps}
    last.setdefault("order.placed", order.placed_at)
    path = MILESTONES[FulfilmentMode(order.fulfilment_mode)]
    states = ["done" if i < reached else "current" if i == reached else "todo" for i in range(len(path))]
    if reached == len(path) - 1:
        states[-1] = "done"
    return [
        Milestone(kind, last.get(kind) if state != "todo" else None, state)
        for kind, state in zip(path, states, strict=True)
    ]


def step_type(event: Event) -> str:
    # Released from hold, the order waits for the shop again: that is not a second "received".
    if isinstance(event.payload, OrderPlaced) and event.payload.released:
        return "order.released"
    return event.type


# The order as the page shows it, with its location, the account it belongs to, its lines (one
# row a line) and how long the shop keeps tracking links working: one statement.
_ORDER = (
    select(
        select(ShopProfile.tracking_days).limit(1).scalar_subquery(),
        Order.id,
        Order.version,
        Customer.user_id,
        Order.number,
        Order.status,
        Order.fulfilment_mode,
        Order.total_minor,
        Order.currency,
        Order.placed_at,
        Location.name,
        Location.address,
        OrderLine.name,
        OrderLine.quantity,
        OrderLine.total_minor,
    )
    .outerjoin(Location, Location.id == Order.location_id)
    .outerjoin(Customer, Customer.id == Order.customer_id)
    .outerjoin(OrderLine, OrderLine.order_id == Order.id)
    .order_by(OrderLine.position)
)


# Both statements are built once, with their values bound at each call: SQLAlchemy keeps a built
# statement's cache key, where a statement built anew on each view has its key computed again
# (its columns, joins and step types), for every shopper right after checkout.
_STEPS = (
    select(Event).where(Event.subject == bindparam("subject"), Event.type.in_(STEP_LABELS)).order_by(Event.id)
)
_BY_TOKEN = _ORDER.where(
    or_(Order.tracking_token_hash == bindparam("hashed"), Order.share_token_hash == bindparam("hashed"))
)
_BY_ID = _ORDER.where(Order.id == bindparam("order_id"))


async def _steps(session: AsyncSession, order_id: int) -> list[Step]:
    events = await session.scalars(_STEPS, {"subject": f"order:{order_id}"})
    return [
        Step(step_type(event), event.at, event.payload.reason if event.type in SHOWN_REASONS else "")
        for event in events
    ]


async def tracked_order(session: AsyncSession, token: str) -> Tracked | None:
    """The order a tracking link points at, expired or not (``Tracked.link_expired``): the
    checkout's link or the one the team shared, both looked up by their hash only."""
    if not token or len(token) > 100:
        return None
    return await _tracked(session, _BY_TOKEN, {"hashed": hash_tracking_token(token)})


async def tracked_order_id(session: AsyncSession, token: str, now: datetime | None = None) -> int | None:
    """The order a working tracking link points at (a live socket needs only that)."""
    order = await tracked_order(session, token)
    return order.id if order is not None and not order.link_expired(now or utcnow()) else None


async def own_order(session: AsyncSession, order_id: int, user_id: int) -> Tracked | None:
    """An order of the account ``user_id``, seen as its tracking page shows it; None for any other
    (whether or not it exists: a customer learns nothing of other people's orders)."""
    tracked = await _tracked(session, _BY_ID, {"order_id": order_id})
    return tracked if tracked is not None and tracked.customer_user_id == user_id else None


async def _tracked(session: AsyncSession, which: Select[Any], values: dict[str, Any]) -> Tracked | None:
    """Two statements (the order with its lines and the shop's link lifetime, its steps) and no ORM
    objects: the page is opened by every shopper right after checkout."""
    rows = (await session.execute(which, values)).all()
    if not rows:
        return None
    head = rows[0]
    days, order_id, version, account, number, status, mode, total, currency, placed_at = head[:10]
    place, address = head[10:12]
    return Tracked(
        id=order_id,
        version=version,
        customer_user_id=account,
        number=number,
        status=status,
        fulfilment_mode=mode,
        total_minor=total,
        currency=currency,
        placed_at=placed_at,
        location_name=place or "",
        location_address=address or "",
        lines=[TrackedLine(*row[12:]) for row in rows if row[12] is not None],
        steps=await _steps(session, order_id),
        tracking_days=days or DEFAULT_TRACKING_DAYS,
    )


def is_own(order: Tracked, actor: Actor) -> bool:
    return actor.user_id is not None and actor.user_id == order.customer_user_id


def may_cancel(order: Tracked, actor: Actor) -> bool:
    """The order's own customer, signed in, while the rules let customers call an order off."""
    own = is_own(order, actor)
    return own and "cancel" in offered_moves(order.status, order.fulfilment_mode, actor, own_order=True)
