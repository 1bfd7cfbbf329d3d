"""The read side of delivery: runs by driver and day, one run with its stops, ETAs and last
position, the orders ready for a run grouped by postal code and slot, who may see a proof, and
the cash each driver still holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.models import User
from backend.customers.models import Customer
from backend.delivery import rules, service
from backend.delivery.models import DeliveryRun, RunStop, StopOrder
from backend.delivery.rules import ProofHolder, RunStatus, StopStatus
from backend.delivery.views import RunView, delivery_rules, run_view
from backend.orders.models import Order, OrderLine
from backend.orders.rules import FulfilmentMode, OrderStatus


@dataclass(frozen=True)
class RunHead:
    id: int
    driver_id: int
    driver_name: str
    day: date
    status: str
    version: int
    stops: int
    done: int


async def runs(
    session: AsyncSession, *, driver_id: int | None = None, day: date | None = None, limit: int = 200
) -> list[RunHead]:
    """Runs, newest day first, of one driver and/or one day."""
    query = (
        select(
            DeliveryRun.id,
            DeliveryRun.driver_id,
            User.name,
            DeliveryRun.day,
            DeliveryRun.status,
            DeliveryRun.version,
            func.count(RunStop.id),
            func.count(RunStop.id).filter(RunStop.status != StopStatus.PENDING),
        )
        .join(User, User.id == DeliveryRun.driver_id)
        .outerjoin(RunStop, RunStop.run_id == DeliveryRun.id)
        .group_by(DeliveryRun.id, User.name)
        .order_by(DeliveryRun.day.desc(), DeliveryRun.id)
        .limit(limit)
    )
    if driver_id is not None:
        query = query.where(DeliveryRun.driver_id == driver_id)
    if day is not None:
        query = query.where(DeliveryRun.day == day)
    return [RunHead(*row) for row in await session.execute(query)]


async def run(session: AsyncSession, run_id: int, now: datetime | None = None) -> RunView | None:
    """One run, its stops in order with their orders and ETAs (pushed back when the driver runs
    late, given ``now``), its last position and its cash."""
    return await session.run_sync(run_view, run_id, now)


async def settings(session: AsyncSession) -> tuple[rules.DeliveryRules, int]:
    return await session.run_sync(delivery_rules)


@dataclass(frozen=True)
class ReadyOrder:
    order_id: int
    number: str
    status: str  # packed, or delivery_failed (to plan again)
    version: int
    customer_name: str
    line1: str
    postal_code: str
    city: str
    located: bool  # has coordinates (its own; a pin is found when planning)
    slot_start: datetime | None
    slot_end: datetime | None
    total_minor: int
    currency: str
    payment_method: str


@dataclass(frozen=True)
class ReadyGroup:
    postal_code: str
    slot_start: datetime | None
    slot_end: datetime | None
    orders: list[ReadyOrder]


def _on_open_run() -> Select[tuple[int]]:
    return (
        select(StopOrder.order_id)
        .join(RunStop, RunStop.id == StopOrder.stop_id)
        .join(DeliveryRun, DeliveryRun.id == StopOrder.run_id)
        .where(
            RunStop.status == StopStatus.PENDING,
            DeliveryRun.status.in_([RunStatus.PLANNED.value, RunStatus.STARTED.value]),
        )
    )


async def ready_for_delivery(
    session: AsyncSession,
    *,
    postal_prefix: str = "",
    slot_from: datetime | None = None,
    slot_until: datetime | None = None,
    location_id: int | None = None,
) -> list[ReadyGroup]:
    """Packed delivery orders (and failed ones, to plan again) that no open run holds, grouped by
    postal code and slot, in postal-code then slot order. ``postal_prefix`` filters the area;
    ``slot_from``/``slot_until`` keep orders whose slot overlaps that span (or who have none)."""
    query = select(
        Order.id,
        Order.number,
        Order.status,
        Order.version,
        Order.customer_name,
        func.coalesce(Order.address_line1, ""),
        func.coalesce(Order.address_postal_code, ""),
        func.coalesce(Order.address_city, ""),
        and_(Order.address_latitude.is_not(None), Order.address_longitude.is_not(None)),
        Order.delivery_slot_start,
        Order.delivery_slot_end,
        Order.total_minor,
        Order.currency,
        Order.payment_method,
    ).where(
        Order.fulfilment_mode == FulfilmentMode.DELIVERY,
        Order.status.in_([OrderStatus.PACKED, OrderStatus.DELIVERY_FAILED]),
        Order.id.not_in(_on_open_run()),
    )
    if postal_prefix.strip():
        query = query.where(Order.address_postal_code.startswith(postal_prefix.strip(), autoescape=True))
    if location_id is not None:
        query = query.where(Order.location_id == location_id)
    if slot_until is not None:
        query = query.where(or_(Order.delivery_slot_start.is_(None), Order.delivery_slot_start < slot_until))
    if slot_from is not None:
        query = query.where(or_(Order.delivery_slot_end.is_(None), Order.delivery_slot_end > slot_from))
    rows = [
        ReadyOrder(*row[:8], bool(row[8]), *row[9:])
        for row in await session.execute(query.order_by(Order.id))
    ]
    groups: dict[tuple[str, datetime | None, datetime | None], list[ReadyOrder]] = {}
    for row in rows:
        groups.setdefault((row.postal_code, row.slot_start, row.slot_end), []).append(row)
    far = datetime.max.replace(tzinfo=None)
    ordered = sorted(groups.items(), key=lambda item: (item[0][0], (item[0][1] or far).replace(tzinfo=None)))
    return [ReadyGroup(code, start, end, members) for (code, start, end), members in ordered]


async def proof_holders(session: AsyncSession, digest: str) -> list[ProofHolder]:
    """Whose a proof is, for ``rules.may_see_proof``: for each stop naming it, the run's driver
    and the customer accounts of its orders. Empty: no stop names it (answer 404)."""
    query = (
        select(RunStop.id, DeliveryRun.driver_id, Customer.user_id)
        .join(DeliveryRun, DeliveryRun.id == RunStop.run_id)
        .join(StopOrder, StopOrder.stop_id == RunStop.id)
        .join(Order, Order.id == StopOrder.order_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(or_(RunStop.photo_hash == digest, RunStop.signature_hash == digest))
    )
    by_stop: dict[int, tuple[int, set[int]]] = {}
    for stop_id, driver_id, account in await session.execute(query):
        holder = by_stop.setdefault(stop_id, (driver_id, set()))
        if account is not None:
            holder[1].add(account)
    return [ProofHolder(driver, frozenset(accounts)) for driver, accounts in by_stop.values()]


@dataclass(frozen=True)
class OrderProof:
    run_id: int
    stop_id: int
    status: str
    done_at: datetime | None
    recipient: str | None
    photo_hash: str | None
    signature_hash: str | None
    failure_reason: str | None


async def proofs_of_order(session: AsyncSession, order_id: int) -> list[OrderProof]:
    """The order's drop-offs and failures, oldest first (its page and tracking page show them;
    a proof belongs to the order when its hash is here)."""
    query = (
        select(
            RunStop.run_id,
            RunStop.id,
            RunStop.status,
            RunStop.done_at,
            RunStop.recipient,
            RunStop.photo_hash,
            RunStop.signature_hash,
            RunStop.failure_reason,
        )
        .join(StopOrder, StopOrder.stop_id == RunStop.id)
        .where(StopOrder.order_id == order_id, RunStop.status != StopStatus.PENDING)
        .order_by(RunStop.done_at, RunStop.id)
    )
    return [OrderProof(*row) for row in await session.execute(query)]


async def cash_owed(session: AsyncSession, driver_id: int | None = None) -> dict[int, dict[str, int]]:
    """Driver → currency → cash still owed: over their runs, what they collected less what the
    owner received (``CashFigures.owed``); a short receipt stays owed, a run squared owes nothing."""
    per_run = (
        select(
            DeliveryRun.driver_id,
            DeliveryRun.currency,
            func.coalesce(func.sum(RunStop.cash_minor), 0),
            func.coalesce(DeliveryRun.cash_received_minor, 0),
        )
        .join(RunStop, RunStop.run_id == DeliveryRun.id)
        .where(RunStop.status == StopStatus.DELIVERED)
        .group_by(DeliveryRun.id)
    )
    if driver_id is not None:
        per_run = per_run.where(DeliveryRun.driver_id == driver_id)
    owed: dict[int, dict[str, int]] = {}
    for driver, currency, collected, received in await session.execute(per_run):
        mine = owed.setdefault(driver, {})
        mine[currency] = mine.get(currency, 0) + int(collected) - int(received)
    return {
        driver: {c: v for c, v in amounts.items() if v}
        for driver, amounts in owed.items()
        if any(amounts.values())
    }


@dataclass(frozen=True)
class Driver:
    id: int
    name: str
    email: str
    role: str


async def drivers(session: AsyncSession) -> list[Driver]:
    """Who may be given a run: active drivers first, then the owner and staff (standing in)."""
    query = select(User.id, User.name, User.email, User.role).where(
        User.active.is_(True), User.role.in_(["driver", "owner", "staff"])
    )
    found = [Driver(*row) for row in await session.execute(query)]
    return sorted(found, key=lambda d: (d.role != "driver", d.name.lower(), d.id))


async def account(session: AsyncSession, *, user_id: int | None = None, email: str = "") -> Driver | None:
    """One account by id or by e-mail (case-insensitive), active or not."""
    query = select(User.id, User.name, User.email, User.role)
    if user_id is not None:
        query = query.where(User.id == user_id)
    else:
        query = query.where(func.lower(User.email) == email.strip().lower())
    row = (await session.execute(query.limit(1))).first()
    return None if row is None else Driver(*row)


async def current_run_of(session: AsyncSession, driver_id: int, day: date) -> int | None:
    """The driver's run to show as "Today's run": the started one, else the first planned one of
    the day, else the last one finished that day."""
    query = (
        select(DeliveryRun.id, DeliveryRun.status)
        .where(DeliveryRun.driver_id == driver_id, DeliveryRun.day <= day)
        .where(or_(DeliveryRun.day == day, DeliveryRun.status != RunStatus.FINISHED.value))
        .order_by(DeliveryRun.day, DeliveryRun.id)
    )
    rows = list(await session.execute(query))
    order = {RunStatus.STARTED.value: 0, RunStatus.PLANNED.value: 1, RunStatus.FINISHED.value: 2}
    best = sorted(rows, key=lambda row: (order.get(row[1], 3), row[0]))
    return best[0][0] if best else None


@dataclass(frozen=True)
class OrderAddress:
    order_id: int
    number: str
    customer_name: str
    line1: str
    postal_code: str
    city: str
    country: str
    latitude: float | None
    longitude: float | None


async def order_address(session: AsyncSession, order_id: int) -> OrderAddress | None:
    """Where a delivery order goes, for setting its address's pin (its own coordinates, else the
    pin already set)."""
    order = await session.get(Order, order_id)
    if order is None or order.fulfilment_mode != FulfilmentMode.DELIVERY:
        return None
    point = await session.run_sync(lambda sync: service.position_of(sync, order))
    return OrderAddress(
        order.id,
        order.number,
        order.customer_name,
        order.address_line1 or "",
        order.address_postal_code or "",
        order.address_city or "",
        order.address_country or "",
        point[0] if point else None,
        point[1] if point else None,
    )


async def hand_over(session: AsyncSession, order_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """What to hand over for each order: its lines' names and quantities, in their order."""
    query = (
        select(OrderLine.order_id, OrderLine.name, OrderLine.quantity)
        .where(OrderLine.order_id.in_(order_ids))
        .order_by(OrderLine.order_id, OrderLine.position)
    )
    found: dict[int, list[tuple[str, int]]] = {}
    for order_id, name, quantity in await session.execute(query):
        found.setdefault(order_id, []).append((name, quantity))
    return found


async def order_eta(session: AsyncSession, order_id: int, now: datetime | None = None) -> datetime | None:
    """When the driver should reach this order (for its tracking page): the ETA of its stop while
    that stop waits on a started run; None otherwise."""
    query = (
        select(StopOrder.run_id, StopOrder.stop_id)
        .join(RunStop, RunStop.id == StopOrder.stop_id)
        .join(DeliveryRun, DeliveryRun.id == StopOrder.run_id)
        .where(
            StopOrder.order_id == order_id,
            RunStop.status == StopStatus.PENDING,
            DeliveryRun.status == RunStatus.STARTED.value,
        )
        .limit(1)
    )
    found = (await session.execute(query)).first()
    if found is None:
        return None
    view = await session.run_sync(run_view, found[0], now)
    stop = next((s for s in view.stops if s.id == found[1]), None) if view else None
    return None if stop is None else stop.eta
