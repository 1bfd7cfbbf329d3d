"""Planning with the solver: the day split between drivers (``plan_day``), one run's suggested
stop order (``plan_run``, ``suggest_order``), and addresses found with the geocoder (``locate``).

Each reads what it needs, asks the routing server or geocoder when the shop has one (never inside
a transaction), solves off the event loop, and ends in ONE command of ``service``, which checks
everything again: an order taken meanwhile fails the plan, naming it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.delivery import planner, rules, service
from backend.delivery.errors import DeliveryRejected, RunNotFound
from backend.delivery.geocoding import geocode
from backend.delivery.models import AddressPin, DeliveryRun
from backend.delivery.roads import matrix_for
from backend.delivery.views import RunView, delivery_rules, stops_of
from backend.inventory.models import Location
from backend.kernel.db import Database
from backend.orders.errors import OrderNotFound
from backend.orders.models import Order
from backend.orders.rules import Actor

MAX_GEOCODED = 50  # addresses looked up in one go: a geocoder asks for about one a second


@dataclass(frozen=True)
class Group:
    """Orders to one address whose slots overlap: one stop."""

    order_ids: list[int]
    point: rules.Point | None
    window: tuple[datetime | None, datetime | None]


@dataclass(frozen=True)
class DayPlan:
    runs: list[RunView]
    unplaced: dict[int, str]  # order id → why (``no_position``, ``window_unreachable``)


def _groups(session: Session, order_ids: Sequence[int]) -> list[Group]:
    orders = list(session.scalars(select(Order).where(Order.id.in_(list(order_ids))).order_by(Order.id)))
    found = {order.id for order in orders}
    if missing := [i for i in order_ids if i not in found]:
        raise OrderNotFound(missing[0])
    groups: list[tuple[str, list[Order]]] = []
    for order in orders:
        key = service.order_key(order)
        for group_key, members in groups:
            if group_key == key and _overlap([*members, order]):
                members.append(order)
                break
        else:
            groups.append((key, [order]))
    return [
        Group([o.id for o in members], service.position_of(session, members[0]), _window(members))
        for _, members in groups
    ]


def _window(orders: Sequence[Order]) -> tuple[datetime | None, datetime | None]:
    starts = [o.delivery_slot_start for o in orders if o.delivery_slot_start]
    ends = [o.delivery_slot_end for o in orders if o.delivery_slot_end]
    return (max(starts) if starts else None, min(ends) if ends else None)


def _overlap(orders: Sequence[Order]) -> bool:
    start, end = _window(orders)
    return start is None or end is None or start < end


def _place(group: Group, departure: datetime, service_seconds: int) -> planner.Place:
    start, end = group.window
    if start is None and end is None:
        return planner.Place(None, service_seconds)
    opens = 0 if start is None else int((start - departure).total_seconds())
    closes = planner.HORIZON_SECONDS if end is None else int((end - departure).total_seconds())
    return planner.Place((opens, closes), service_seconds)


async def _solve(
    db: Database,
    routing_url: str,
    start: rules.Point,
    groups: list[Group],
    *,
    drivers: int,
    departure: datetime,
) -> tuple[planner.Plan, rules.Matrix]:
    async with db.read() as session:
        settings, _ = await session.run_sync(delivery_rules)
    points = [start] + [group.point for group in groups if group.point is not None]
    matrix = await matrix_for(points, settings, routing_url)  # type: ignore[arg-type]
    places = [_place(group, departure, settings.service_seconds) for group in groups]
    plan = await asyncio.to_thread(planner.solve, matrix, places, drivers)
    return plan, matrix


def _stops(route: list[int], matrix: rules.Matrix, groups: list[Group]) -> list[service.PlannedStop]:
    """The route's stops, each with the leg the matrix gives from the point before."""
    nodes = [0, *(place + 1 for place in route)]
    return [
        service.PlannedStop(groups[place].order_ids, (matrix.seconds[a][b], matrix.meters[a][b]))
        for place, (a, b) in zip(route, itertools.pairwise(nodes), strict=True)
    ]


async def _start_point(db: Database, start: service.Start | None, order_ids: Sequence[int]) -> service.Start:
    if start is not None:
        return start
    async with db.read() as session:
        row = (
            await session.execute(
                select(Location.latitude, Location.longitude, Location.name, Location.id)
                .join(Order, Order.location_id == Location.id)
                .where(Order.id == min(order_ids))
            )
        ).first()
    if row is None or row[0] is None or row[1] is None:
        raise DeliveryRejected({"location": "no_position"})
    return service.Start(row[0], row[1], row[2], row[3])


async def plan_day(
    db: Database,
    actor: Actor,
    day: date,
    driver_ids: list[int],
    order_ids: list[int],
    *,
    starts_at: datetime,
    start: service.Start | None = None,
    routing_url: str = "",
) -> DayPlan:
    """Split the orders between the drivers, one run each (drivers given nothing get no run), each
    in the solver's order, keeping every slot. Orders without a position, or whose slot no driver
    can reach, are left out and say why; they stay ready."""
    if not driver_ids or len(set(driver_ids)) != len(driver_ids):
        raise DeliveryRejected({"drivers": "drivers_empty"})
    if not order_ids:
        raise DeliveryRejected({"orders": "orders_empty"})
    start = await _start_point(db, start, order_ids)
    async with db.read() as session:
        groups = await session.run_sync(_groups, order_ids)
    unplaced = {i: "no_position" for g in groups if g.point is None for i in g.order_ids}
    located = [g for g in groups if g.point is not None]
    origin = (start.latitude, start.longitude)
    plan, matrix = await _solve(
        db, routing_url, origin, located, drivers=len(driver_ids), departure=starts_at
    )
    unplaced |= {i: "window_unreachable" for place in plan.unplaced for i in located[place].order_ids}
    drafts = [
        service.RunDraft(driver, day, starts_at, _stops(route, matrix, located), start)
        for driver, route in zip(driver_ids, plan.routes, strict=True)
        if route
    ]
    runs = await db.run(service.create_runs, actor, drafts) if drafts else []
    return DayPlan(runs, unplaced)


async def plan_run(
    db: Database,
    actor: Actor,
    driver_id: int,
    day: date,
    order_ids: list[int],
    *,
    starts_at: datetime,
    start: service.Start | None = None,
    routing_url: str = "",
) -> RunView:
    """One run for these orders in the suggested order; orders without a position go last, in the
    order given, for the owner to place."""
    if not order_ids:
        raise DeliveryRejected({"orders": "orders_empty"})
    start = await _start_point(db, start, order_ids)
    async with db.read() as session:
        groups = await session.run_sync(_groups, order_ids)
    located = [g for g in groups if g.point is not None]
    origin = (start.latitude, start.longitude)
    plan, matrix = await _solve(db, routing_url, origin, located, drivers=1, departure=starts_at)
    # A slot that cannot be kept is shown late rather than dropped: the owner chose these orders.
    stops = _stops(plan.routes[0], matrix, located)
    stops += [service.PlannedStop(located[place].order_ids) for place in plan.unplaced]
    stops += [service.PlannedStop(g.order_ids) for g in groups if g.point is None]
    draft = service.RunDraft(driver_id, day, starts_at, stops, start)
    (run,) = await db.run(service.create_runs, actor, [draft])
    return run


def _stop_groups(session: Session, run_id: int) -> tuple[list[Group], list[int]]:
    """A planned run's stops as the solver's places (one "order" each: the stop's id), and the
    stops without a position."""
    located, unknown = [], []
    for stop in stops_of(session, run_id):
        if stop.latitude is None or stop.longitude is None:
            unknown.append(stop.id)
        else:
            window = (stop.window_start, stop.window_end)
            located.append(Group([stop.id], (stop.latitude, stop.longitude), window))
    return located, unknown


async def suggest_order(
    db: Database, actor: Actor, run_id: int, *, version: int | None = None, routing_url: str = ""
) -> RunView:
    """Put a planned run's stops in the solver's order (stops without a position stay last)."""
    async with db.read() as session:
        run = await session.get(DeliveryRun, run_id)
        if run is None:
            raise RunNotFound(run_id)
        located, unknown = await session.run_sync(_stop_groups, run_id)
        start, departure = (run.start_latitude, run.start_longitude), run.starts_at
    plan, matrix = await _solve(db, routing_url, start, located, drivers=1, departure=departure)
    order = [located[place].order_ids[0] for place in plan.routes[0] + plan.unplaced] + unknown
    legs = None
    if not plan.unplaced and not unknown:  # measured legs, when every leg was measured
        legs = [stop.leg or (0, 0) for stop in _stops(plan.routes[0], matrix, located)]
    return await db.run(service.reorder_stops, actor, run_id, order, version=version, legs=legs)


async def locate(
    db: Database, actor: Actor, geocoder_url: str, order_ids: Sequence[int]
) -> dict[int, rules.Point]:
    """Ask the geocoder where the orders without a position are, one address at a time, and keep
    what it finds as ``geocoder`` pins. Returns order id → position found."""
    if not geocoder_url:
        return {}
    async with db.read() as session:
        orders = list(await session.scalars(select(Order).where(Order.id.in_(list(order_ids)))))
        pinned = set(await session.scalars(select(AddressPin.address_key)))
    wanted: dict[str, list[Order]] = {}
    for order in orders:
        key = service.order_key(order)
        if order.address_latitude is None and key and key not in pinned and order.address_line1:
            wanted.setdefault(key, []).append(order)
    found: dict[int, rules.Point] = {}
    for members in list(wanted.values())[:MAX_GEOCODED]:
        first = members[0]
        point = await geocode(
            geocoder_url,
            first.address_line1 or "",
            first.address_postal_code or "",
            first.address_city or "",
            first.address_country or "",
        )
        if point is None:
            continue
        address = (
            first.address_line1 or "",
            first.address_postal_code or "",
            first.address_city or "",
            first.address_country or "",
        )
        await db.run(service.set_pin, actor, address, point[0], point[1], rules.PinSource.GEOCODER)
        found |= {order.id: point for order in members}
    return found
