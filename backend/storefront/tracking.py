"""The tracking page's view of an order, found by the secret token only its customer holds.

Shoppers see where their order stands and what happened to it, never the shop's internal notes:
hold reasons and risk checks stay behind the counter. A customer signed in to the account the
order belongs to may also call it off from there, while the order rules let customers do so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.customers.models import Customer
from backend.events import Event
from backend.i18n import N_
from backend.inventory.models import Location
from backend.orders.decisions import offered_moves
from backend.orders.models import Order, OrderLine
from backend.orders.placing import hash_tracking_token
from backend.orders.rules import Actor

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
STATUS_LABELS = {
    "placed": N_("Received, waiting for the shop"),
    "on_hold": N_("Being checked by the shop"),
    "accepted": N_("Accepted"),
    "rejected": N_("Declined"),
    "picking": N_("Being prepared"),
    "packed": N_("Packed"),
    "out_for_delivery": N_("Out for delivery"),
    "shipped": N_("Shipped"),
    "ready_for_pickup": N_("Ready for pickup"),
    "delivered": N_("Delivered"),
    "picked_up": N_("Collected"),
    "delivery_failed": N_("Delivery attempt failed"),
    "cancelled": N_("Cancelled"),
}
# Reasons the customer should read: the shop's own words when it declines or cancels.
SHOWN_REASONS = frozenset({"order.rejected", "order.cancelled"})


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


def step_type(event: Event) -> str:
    # Released from hold, the order waits for the shop again: that is not a second "received".
    if event.type == "order.placed" and event.data.get("previous"):
        return "order.released"
    return event.type


async def _steps(session: AsyncSession, order_id: int) -> list[Step]:
    events = await session.scalars(
        select(Event).where(Event.subject == f"order:{order_id}").order_by(Event.id)
    )
    return [
        Step(
            step_type(event),
            event.at,
            str(event.data.get("reason") or "") if event.type in SHOWN_REASONS else "",
        )
        for event in events
        if event.type in STEP_LABELS
    ]


async def tracked_order_id(session: AsyncSession, token: str) -> int | None:
    """The order a tracking link points at, without loading it (a live socket needs only that)."""
    if not token or len(token) > 100:
        return None
    hashed = hash_tracking_token(token)
    return await session.scalar(select(Order.id).where(Order.tracking_token_hash == hashed))


async def tracked_order(session: AsyncSession, token: str) -> Tracked | None:
    if not token or len(token) > 100:
        return None
    order = await session.scalar(select(Order).where(Order.tracking_token_hash == hash_tracking_token(token)))
    return None if order is None else await _tracked(session, order)


async def own_order(session: AsyncSession, order_id: int, user_id: int) -> Tracked | None:
    """An order of the account ``user_id``, seen as its tracking page shows it; None for any other
    (whether or not it exists: a customer learns nothing of other people's orders)."""
    order = await session.get(Order, order_id)
    if order is None:
        return None
    tracked = await _tracked(session, order)
    return tracked if tracked.customer_user_id == user_id else None


async def _tracked(session: AsyncSession, order: Order) -> Tracked:
    location = await session.get(Location, order.location_id)
    account = await session.scalar(select(Customer.user_id).where(Customer.id == order.customer_id))
    lines = await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
    )
    return Tracked(
        id=order.id,
        version=order.version,
        customer_user_id=account,
        number=order.number,
        status=order.status,
        fulfilment_mode=order.fulfilment_mode,
        total_minor=order.total_minor,
        currency=order.currency,
        placed_at=order.placed_at,
        location_name=location.name if location else "",
        location_address=location.address if location else "",
        lines=[TrackedLine(line.name, line.quantity, line.total_minor) for line in lines],
        steps=await _steps(session, order.id),
    )


def is_own(order: Tracked, actor: Actor) -> bool:
    return actor.user_id is not None and actor.user_id == order.customer_user_id


def may_cancel(order: Tracked, actor: Actor) -> bool:
    """The order's own customer, signed in, while the rules let customers call an order off."""
    own = is_own(order, actor)
    return own and "cancel" in offered_moves(order.status, order.fulfilment_mode, actor, own_order=True)
