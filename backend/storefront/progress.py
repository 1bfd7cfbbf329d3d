"""What the tracking page adds to an order's steps, read from the cores that move it: the pickup
code while it waits at the counter (fulfilment), the carrier's link once shipped (fulfilment), the
driver's way to the door while it is out for delivery and the photo left at the door (delivery),
and the customer's rating once they have it (orders).

Only what the customer may read: the driver's first name, the number of stops before theirs and a
window around the estimate, never the other stops' addresses; the driver's position only while
this stop is the next one, not while they are at the doors before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.customers.models import Customer
from backend.delivery import reads as delivery_reads
from backend.delivery.models import DeliveryRun, RunStop, StopOrder
from backend.delivery.rules import RunStatus, StopStatus
from backend.delivery.views import Position, RunView
from backend.fulfilment import board
from backend.orders import ratings
from backend.orders.models import Order
from backend.orders.rules import FulfilmentMode, OrderStatus
from backend.storefront.tracking import Tracked

# The estimate is told as a window: a driver is rarely on the minute, and a promise missed by one
# minute reads worse than a range kept.
WINDOW_BEFORE = timedelta(minutes=10)
WINDOW_AFTER = timedelta(minutes=20)
ROUND_TO = 5  # minutes


@dataclass(frozen=True)
class OnTheWay:
    """An order out for delivery, as its customer sees the run."""

    eta_from: datetime
    eta_to: datetime
    stops_before: int  # stops the driver still has to make before this one
    driver_first_name: str
    position: Position | None  # only while this stop is the next one
    late: bool


@dataclass(frozen=True)
class Shipment:
    carrier_name: str
    tracking_number: str
    url: str | None


@dataclass(frozen=True)
class Progress:
    pickup_code: str | None = None
    shipment: Shipment | None = None
    on_the_way: OnTheWay | None = None
    proof_photo: str | None = None  # the hash of the photo left at the door, once delivered
    rating: ratings.Rating | None = None


def first_name(name: str) -> str:
    return name.split(maxsplit=1)[0] if name.split() else ""


def _rounded(moment: datetime, up: bool) -> datetime:
    minutes = moment.minute % ROUND_TO
    base = moment.replace(second=0, microsecond=0) - timedelta(minutes=minutes)
    return (
        base + timedelta(minutes=ROUND_TO)
        if up and (minutes or moment.second or moment.microsecond)
        else base
    )


def window(eta: datetime) -> tuple[datetime, datetime]:
    """The range the customer is told, on five-minute marks."""
    return _rounded(eta - WINDOW_BEFORE, up=False), _rounded(eta + WINDOW_AFTER, up=True)


def on_the_way(run: RunView, order_id: int) -> OnTheWay | None:
    """The order's stop on a started run; None when it is not on it or already done."""
    if run.status != RunStatus.STARTED:
        return None
    pending = [stop for stop in run.stops if stop.status == StopStatus.PENDING]
    mine = next(
        (i for i, stop in enumerate(pending) if any(o.order_id == order_id for o in stop.orders)), None
    )
    if mine is None:
        return None
    stop = pending[mine]
    eta_from, eta_to = window(stop.eta)
    position = run.last_position if mine == 0 else None
    return OnTheWay(eta_from, eta_to, mine, first_name(run.driver_name), position, stop.late)


def _waiting(started: bool) -> Select[tuple[int]]:
    """Runs a stop waits on, planned or on their way (only on their way with ``started``), with
    their stops' orders to filter on; none once the stop is done, delivered or failed."""
    wanted = (RunStatus.STARTED,) if started else (RunStatus.PLANNED, RunStatus.STARTED)
    return (
        select(func.max(DeliveryRun.id))  # an order on two runs waits on the later
        .join(StopOrder, StopOrder.run_id == DeliveryRun.id)
        .join(RunStop, RunStop.id == StopOrder.stop_id)
        .where(RunStop.status == StopStatus.PENDING, DeliveryRun.status.in_(wanted))
    )


async def run_of(session: AsyncSession, order_id: int, *, started: bool = False) -> int | None:
    """The run the order's stop waits on (``_waiting``)."""
    return await session.scalar(_waiting(started).where(StopOrder.order_id == order_id))


async def runs_of_account(session: AsyncSession, user_id: int) -> set[int]:
    """The runs the stops of the account's orders wait on, each order's as ``run_of`` finds it."""
    query = (
        _waiting(started=False)
        .join(Order, Order.id == StopOrder.order_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Customer.user_id == user_id)
        .group_by(StopOrder.order_id)
    )
    return set(await session.scalars(query))


async def _delivery(session: AsyncSession, order: Tracked, now: datetime) -> OnTheWay | None:
    run_id = await run_of(session, order.id, started=True)
    run = await delivery_reads.run(session, run_id, now) if run_id is not None else None
    return on_the_way(run, order.id) if run is not None else None


async def proof_photo_of(session: AsyncSession, order_id: int) -> str | None:
    """The hash of the photo taken when the order was left at the door, if one was."""
    done = [
        p for p in await delivery_reads.proofs_of_order(session, order_id) if p.status == StopStatus.DELIVERED
    ]
    return done[-1].photo_hash if done else None


async def _shipment(session: AsyncSession, order_id: int) -> Shipment | None:
    seen = await board.fulfilment_of(session, order_id)
    if not seen.tracking_number:
        return None
    return Shipment(seen.carrier_name or "", seen.tracking_number, seen.tracking_url)


async def progress_of(session: AsyncSession, order: Tracked, pickup_key: bytes, now: datetime) -> Progress:
    """The parts of the tracking page that the order's status calls for; one or two reads each."""
    status, mode = order.status, order.fulfilment_mode
    ready = status == OrderStatus.READY_FOR_PICKUP
    shipped = mode == FulfilmentMode.SHIPPING and status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    dropped = mode == FulfilmentMode.DELIVERY and status == OrderStatus.DELIVERED
    return Progress(
        pickup_code=await board.pickup_code_of(session, pickup_key, order.id) if ready else None,
        shipment=await _shipment(session, order.id) if shipped else None,
        on_the_way=await _delivery(session, order, now) if status == OrderStatus.OUT_FOR_DELIVERY else None,
        proof_photo=await proof_photo_of(session, order.id) if dropped else None,
        rating=await ratings.rating_of(session, order.id) if status in ratings.RATABLE else None,
    )
