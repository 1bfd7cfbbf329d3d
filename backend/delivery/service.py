"""Delivery commands: plan runs (create, move, add, remove stops, reorder), start a run, confirm
or fail a drop-off, record positions, finish the run, declare and receive its cash, set pins and
settings. Each is a module-level ``fn(tx, …)`` run with ``await db.run(fn, …)``; each checks the
caller's right and, when given, the ``version`` the caller saw, and records ``delivery.*`` events
in the same transaction. Planning that needs the solver or a server is in ``planning.py``, which
ends in these commands.

Orders move only through the orders domain's ``move_order`` (its one transition table, version
claim, ``order.<status>`` event and, on ``out_for_delivery``, the sale of the reserved stock).
What raises writes nothing: ``DeliveryRejected`` (bad input), ``DeliveryForbidden``,
``RunNotFound``, ``StopNotFound``, ``DeliveryConflict`` (stale or not in a state for it, naming
what changed), and the orders domain's ``OrderNotFound`` and ``TransitionRefused``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.auth.rules import Permission, Role
from backend.delivery import events, rules
from backend.delivery.errors import (
    DeliveryConflict,
    DeliveryForbidden,
    DeliveryRejected,
    RunNotFound,
    StopNotFound,
)
from backend.delivery.models import AddressPin, DeliveryRun, DeliverySettings, RunPosition, RunStop, StopOrder
from backend.delivery.rules import DropOff, Fix, Proofs, RunStatus, StopStatus
from backend.delivery.views import (
    OrderRow,
    RunView,
    StopRow,
    StopView,
    delivery_rules,
    delivery_rules_in,
    done_stop_view,
    done_stop_view_of,
    run_view,
    stop_row,
    stops_of,
)
from backend.inventory.models import Location
from backend.kernel.db import utcnow
from backend.kernel.events import record, type_of
from backend.kernel.tx import Tx
from backend.orders.errors import OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.models import Order
from backend.orders.records import claim
from backend.orders.rules import Actor, FulfilmentMode, OrderStatus
from backend.orders.service import Move, apply_move, move_order

__all__ = [
    "PlannedStop",
    "RunDraft",
    "Start",
    "StopDone",
    "add_orders",
    "confirm_cash",
    "confirm_drop_off",
    "create_runs",
    "declare_cash",
    "fail_stop",
    "finish_run",
    "move_stop",
    "record_position",
    "remove_stop",
    "reorder_stops",
    "save_settings",
    "set_pin",
    "start_run",
]

S = OrderStatus
READY = frozenset({S.PACKED, S.DELIVERY_FAILED})  # a failed delivery waits to be planned again
OPEN_RUNS = (RunStatus.PLANNED, RunStatus.STARTED)
REMEMBERED_ACCURACY_M = 100
NO_PROOFS = Proofs()  # a drop-off fix this good is where the address is


@dataclass(frozen=True)
class Start:
    latitude: float
    longitude: float
    label: str = ""
    location_id: int | None = None


@dataclass(frozen=True)
class PlannedStop:
    """Orders dropped off together, in driving order; the leg from the previous point when a
    routing server measured it (else it is estimated)."""

    order_ids: list[int]
    leg: tuple[int, int] | None = None  # seconds, metres


@dataclass(frozen=True)
class RunDraft:
    driver_id: int
    day: date
    starts_at: datetime  # planned departure (aware)
    stops: list[PlannedStop]
    start: Start | None = None  # None: the orders' location


@dataclass(frozen=True)
class StopDone:
    """A drop-off confirmed or failed: the stop, and the run's state and version after it
    (the whole run is not read back: a phone confirms one stop at a time, many at once);
    ``repeated``: it already was, nothing was written."""

    run_id: int
    run_status: str
    run_version: int
    stop: StopView
    repeated: bool = False


# -- shared steps ---------------------------------------------------------------------------------


def _must_manage(actor: Actor) -> None:
    if not rules.may_manage(actor):
        raise DeliveryForbidden("not_permitted")


def _run(session: Session, run_id: int) -> DeliveryRun:
    run = session.get(DeliveryRun, run_id, populate_existing=True)
    if run is None:
        raise RunNotFound(run_id)
    return run


def _claim_run(
    session: Session, run: DeliveryRun, version: int | None, status: RunStatus | None = None
) -> None:
    """Check the version the caller saw (and the status), then bump it: a concurrent writer's
    UPDATE waits for this one and then finds nothing."""
    if status is not None and run.status != status:
        raise DeliveryConflict(_status_code(run.status, status), run=run.id, status=run.status)
    if version is not None and version != run.version:
        raise DeliveryConflict("run_changed", run=run.id, version=run.version)
    result = session.execute(
        update(DeliveryRun)
        .where(DeliveryRun.id == run.id, DeliveryRun.version == run.version, DeliveryRun.status == run.status)
        .values(version=DeliveryRun.version + 1)
    )
    if result.rowcount != 1:
        current = _run(session, run.id)
        raise DeliveryConflict("run_changed", run=run.id, version=current.version)
    session.refresh(run)


def _status_code(current: str, wanted: RunStatus) -> str:
    if current == RunStatus.FINISHED:
        return "run_finished"
    return {RunStatus.PLANNED: "run_not_planned", RunStatus.STARTED: "run_not_started"}.get(
        wanted, "run_not_finished"
    )


def _view(session: Session, run_id: int) -> RunView:
    session.flush()
    view = run_view(session, run_id)
    assert view is not None
    return view


_RUN_EVENTS = {type_of(struct).removeprefix("delivery."): struct for struct in events.EVENTS}


def _event(
    tx: Tx, type_: str, run: DeliveryRun | _RunState, actor: Actor, **data: str | int | float | None
) -> None:
    """Record the run's ``delivery.<type_>`` event (``events.py``), naming its driver."""
    event = _RUN_EVENTS[type_](driver=run.driver_id, **data)
    record(tx, event, f"run:{run.id}", actor.user_id)


def _manager(actor: Actor) -> Actor:
    """The actor with the planner's right to dispatch: starting a run the owner planned is carrying
    out that plan, so its driver moves its orders out for delivery (``deliveries.manage`` is what
    the transition table asks of packed → out for delivery)."""
    return replace(actor, permissions=actor.permissions | {Permission.DELIVERIES_MANAGE})


# -- planning -------------------------------------------------------------------------------------


def _check_driver(session: Session, driver_id: int) -> None:
    user = session.get(User, driver_id)
    if user is None or not user.active or user.role not in {Role.DRIVER, Role.OWNER, Role.STAFF}:
        raise DeliveryRejected({"driver": "driver_unknown"})


def _order_for_run(tx: Tx, actor: Actor, order_id: int) -> Order:
    """A packed delivery order that no open run holds, claimed for this one (its version moves,
    so two planners cannot both take it); a failed delivery is packed again first."""
    session = tx.session
    order = session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise OrderNotFound(order_id)
    if order.fulfilment_mode != FulfilmentMode.DELIVERY or order.status not in READY:
        raise DeliveryConflict("not_ready", order=order.number, status=order.status)
    holder = session.scalar(
        select(RunStop.run_id)
        .join(StopOrder, StopOrder.stop_id == RunStop.id)
        .join(DeliveryRun, DeliveryRun.id == RunStop.run_id)
        .where(
            StopOrder.order_id == order_id,
            RunStop.status == StopStatus.PENDING,
            DeliveryRun.status.in_([s.value for s in OPEN_RUNS]),
        )
        .limit(1)
    )
    if holder is not None:
        raise DeliveryConflict("already_planned", order=order.number, run=holder)
    try:
        if order.status == S.DELIVERY_FAILED:
            move_order(tx, actor, Move(order_id, S.PACKED, None, "rescheduled"))
        else:
            claim(session, order)
    except (StaleOrder, TransitionRefused):
        raise DeliveryConflict("order_changed", order=order.number) from None
    session.refresh(order)
    return order


def position_of(session: Session, order: Order) -> rules.Point | None:
    """Where an order goes: its own coordinates, else its address's pin."""
    if order.address_latitude is not None and order.address_longitude is not None:
        return (order.address_latitude, order.address_longitude)
    pin = session.get(AddressPin, order_key(order))
    return None if pin is None else (pin.latitude, pin.longitude)


def order_key(order: Order) -> str:
    return rules.address_key(
        order.address_line1, order.address_postal_code, order.address_city, order.address_country
    )


def _start(session: Session, draft: RunDraft, first: Order) -> Start:
    if draft.start is not None:
        if problem := rules.coordinates_problem(draft.start.latitude, draft.start.longitude):
            raise DeliveryRejected({"location": problem})
        return draft.start
    location = session.get(Location, first.location_id)
    if location is None or location.latitude is None or location.longitude is None:
        raise DeliveryRejected({"location": "no_position"})
    return Start(location.latitude, location.longitude, location.name, location.id)


def _window(orders: Sequence[Order]) -> tuple[datetime | None, datetime | None]:
    starts = [o.delivery_slot_start for o in orders if o.delivery_slot_start is not None]
    ends = [o.delivery_slot_end for o in orders if o.delivery_slot_end is not None]
    return (max(starts) if starts else None, min(ends) if ends else None)


def _draft_problems(draft: RunDraft) -> dict[str, str]:
    ids = [order_id for stop in draft.stops for order_id in stop.order_ids]
    if not ids or any(not stop.order_ids for stop in draft.stops):
        return {"orders": "orders_empty"}
    if len(draft.stops) > rules.MAX_STOPS:
        return {"orders": "too_many_stops"}
    if len(set(ids)) != len(ids):
        return {"orders": "already_planned"}
    if draft.starts_at.tzinfo is None:
        return {"starts_at": "moment_invalid"}
    return {}


def create_runs(tx: Tx, actor: Actor, drafts: list[RunDraft]) -> list[RunView]:
    """Command: one run per draft (one action, so the day's plan is written whole or not at all).
    Each order must be a packed (or failed) delivery on no other open run (``not_ready``,
    ``already_planned``: a conflict naming the order); all of a run's orders share its currency."""
    _must_manage(actor)
    for draft in drafts:
        if problems := _draft_problems(draft):
            raise DeliveryRejected(problems)
    all_ids = [i for draft in drafts for stop in draft.stops for i in stop.order_ids]
    if len(set(all_ids)) != len(all_ids):
        raise DeliveryRejected({"orders": "already_planned"})
    return [_create_run(tx, actor, draft) for draft in drafts]


def _create_run(tx: Tx, actor: Actor, draft: RunDraft) -> RunView:
    session = tx.session
    _check_driver(session, draft.driver_id)
    ids = sorted(i for stop in draft.stops for i in stop.order_ids)  # rows claimed in id order
    orders = {order_id: _order_for_run(tx, actor, order_id) for order_id in ids}
    currencies = {order.currency for order in orders.values()}
    if len(currencies) != 1:
        raise DeliveryRejected({"orders": "currency_mixed"})
    start = _start(session, draft, orders[ids[0]])
    run = DeliveryRun(
        driver_id=draft.driver_id,
        day=draft.day,
        status=RunStatus.PLANNED.value,
        location_id=start.location_id,
        start_label=start.label[:200],
        start_latitude=start.latitude,
        start_longitude=start.longitude,
        starts_at=draft.starts_at,
        currency=currencies.pop(),
        version=1,
        created_by_id=actor.user_id,
    )
    session.add(run)
    session.flush()
    for sequence, planned in enumerate(draft.stops, start=1):
        _add_stop(session, run, sequence, [orders[i] for i in planned.order_ids], planned.leg)
    settings, _ = delivery_rules(session)
    _estimate_legs(session, run, settings, keep_measured=True)
    _event(tx, "run_planned", run, actor, day=run.day.isoformat(), stops=len(draft.stops), orders=len(ids))
    return _view(session, run.id)


def _add_stop(
    session: Session, run: DeliveryRun, sequence: int, orders: list[Order], leg: tuple[int, int] | None
) -> RunStop:
    first = orders[0]
    position = position_of(session, first)
    window_start, window_end = _window(orders)
    stop = RunStop(
        run_id=run.id,
        sequence=sequence,
        status=StopStatus.PENDING.value,
        address_key=order_key(first),
        latitude=position[0] if position else None,
        longitude=position[1] if position else None,
        window_start=window_start,
        window_end=window_end,
        leg_seconds=leg[0] if leg else -1,  # -1: to be estimated (``_estimate_legs``)
        leg_meters=leg[1] if leg else -1,
        version=1,
    )
    session.add(stop)
    session.flush()
    session.add_all(StopOrder(stop_id=stop.id, order_id=order.id, run_id=run.id) for order in orders)
    return stop


def _estimate_legs(
    session: Session, run: DeliveryRun, settings: rules.DeliveryRules, *, keep_measured: bool
) -> None:
    """Number the stops 1, 2, … and give each the leg from the previous point (estimated; a leg a
    routing server measured is kept while the stops keep their order)."""
    stops = stops_of(session, run.id)
    points = [(run.start_latitude, run.start_longitude)] + [
        (s.latitude, s.longitude) if s.latitude is not None and s.longitude is not None else None
        for s in stops
    ]
    for sequence, (stop, (seconds, meters)) in enumerate(
        zip(stops, rules.legs_along(points, settings), strict=True), 1
    ):
        moved = stop.sequence != sequence
        if moved or not keep_measured or stop.leg_seconds < 0:
            stop.leg_seconds, stop.leg_meters = seconds, meters
        if moved:
            stop.sequence = sequence
            stop.version += 1


def _planned_run(session: Session, actor: Actor, run_id: int, version: int | None) -> DeliveryRun:
    _must_manage(actor)
    run = _run(session, run_id)
    _claim_run(session, run, version, RunStatus.PLANNED)
    return run


def _stop(session: Session, run: DeliveryRun, stop_id: int) -> RunStop:
    stop = session.get(RunStop, stop_id, populate_existing=True)
    if stop is None or stop.run_id != run.id:
        raise StopNotFound(stop_id)
    return stop


def reorder_stops(
    tx: Tx,
    actor: Actor,
    run_id: int,
    stop_ids: list[int],
    *,
    version: int | None = None,
    legs: list[tuple[int, int]] | None = None,
) -> RunView:
    """Command: the planned run's stops in this order (every stop once). ``legs``: measured by a
    routing server for this order (``planning.suggest_order``); estimated otherwise."""
    session = tx.session
    run = _planned_run(session, actor, run_id, version)
    stops = {stop.id: stop for stop in stops_of(session, run.id)}
    if sorted(stop_ids) != sorted(stops):
        raise DeliveryRejected({"stops": "stop_not_on_run"})
    for sequence, stop_id in enumerate(stop_ids, start=1):
        stop = stops[stop_id]
        if stop.sequence != sequence:
            stop.sequence, stop.version = sequence, stop.version + 1
        if legs is not None:
            stop.leg_seconds, stop.leg_meters = legs[sequence - 1]
    session.flush()
    _estimate_legs(session, run, delivery_rules(session)[0], keep_measured=legs is not None)
    _event(tx, "run_changed", run, actor, change="reordered")
    return _view(session, run.id)


def move_stop(
    tx: Tx, actor: Actor, run_id: int, stop_id: int, steps: int, *, version: int | None = None
) -> RunView:
    """Command: move a stop up (``steps`` < 0) or down the planned run."""
    ids = [stop.id for stop in stops_of(tx.session, run_id)]
    if stop_id not in ids:
        _run(tx.session, run_id)
        raise StopNotFound(stop_id)
    at = ids.index(stop_id)
    ids.pop(at)
    ids.insert(max(0, min(len(ids), at + steps)), stop_id)
    return reorder_stops(tx, actor, run_id, ids, version=version)


def add_orders(
    tx: Tx, actor: Actor, run_id: int, order_ids: list[int], *, version: int | None = None
) -> RunView:
    """Command: add orders to the planned run: to the stop for their address when it has one (and
    their slots overlap), else as new stops at the end."""
    if not order_ids or len(set(order_ids)) != len(order_ids):
        raise DeliveryRejected({"orders": "orders_empty" if not order_ids else "already_planned"})
    session = tx.session
    run = _planned_run(session, actor, run_id, version)
    stops = stops_of(session, run.id)
    if len(stops) + len(order_ids) > rules.MAX_STOPS:
        raise DeliveryRejected({"orders": "too_many_stops"})
    for order_id in sorted(order_ids):
        order = _order_for_run(tx, actor, order_id)
        if order.currency != run.currency:
            raise DeliveryRejected({"orders": "currency_mixed"})
        stop = next((s for s in stops if s.address_key == order_key(order) and _fits(s, order)), None)
        if stop is None:
            stops.append(_add_stop(session, run, len(stops) + 1, [order], None))
        else:
            session.add(StopOrder(stop_id=stop.id, order_id=order.id, run_id=run.id))
            stop.window_start, stop.window_end = _narrowed(stop, order)
            stop.version += 1
    session.flush()
    _estimate_legs(session, run, delivery_rules(session)[0], keep_measured=True)
    _event(tx, "run_changed", run, actor, change="orders_added", orders=len(order_ids))
    return _view(session, run.id)


def _narrowed(stop: RunStop, order: Order) -> tuple[datetime | None, datetime | None]:
    starts = [t for t in (stop.window_start, order.delivery_slot_start) if t is not None]
    ends = [t for t in (stop.window_end, order.delivery_slot_end) if t is not None]
    return (max(starts) if starts else None, min(ends) if ends else None)


def _fits(stop: RunStop, order: Order) -> bool:
    start, end = _narrowed(stop, order)
    return start is None or end is None or start < end


def remove_stop(tx: Tx, actor: Actor, run_id: int, stop_id: int, *, version: int | None = None) -> RunView:
    """Command: take a stop (and its orders) off the planned run: they are ready again."""
    session = tx.session
    run = _planned_run(session, actor, run_id, version)
    stop = _stop(session, run, stop_id)
    for link in session.scalars(select(StopOrder).where(StopOrder.stop_id == stop.id)):
        order = session.get(Order, link.order_id)
        if order is not None:
            claim(session, order)  # its page shows it off the run
    session.delete(stop)
    session.flush()
    _estimate_legs(session, run, delivery_rules(session)[0], keep_measured=False)
    _event(tx, "run_changed", run, actor, change="stop_removed", stop=stop_id)
    return _view(session, run.id)


# -- on the road ----------------------------------------------------------------------------------


def _driven_run(session: Session, actor: Actor, run_id: int) -> DeliveryRun:
    run = _run(session, run_id)
    if not rules.may_drive(actor, run.driver_id):
        raise DeliveryForbidden("not_your_run")
    return run


def start_run(tx: Tx, actor: Actor, run_id: int, *, version: int | None = None) -> RunView:
    """Command: the driver leaves. Every order of the run goes out for delivery (its reserved stock
    becomes a sale); an order that changed meanwhile (cancelled, put on hold) stops the start,
    named, for the owner to take it off the run."""
    session = tx.session
    run = _driven_run(session, actor, run_id)
    _claim_run(session, run, version, RunStatus.PLANNED)
    links = session.scalars(select(StopOrder).where(StopOrder.run_id == run.id).order_by(StopOrder.order_id))
    dispatcher = _manager(actor)
    for link in list(links):
        order = session.get(Order, link.order_id)
        if order is None or order.status != S.PACKED:
            status = order.status if order else "deleted"
            raise DeliveryConflict(
                "order_changed", order=order.number if order else link.order_id, status=status
            )
        move_order(tx, dispatcher, Move(order.id, S.OUT_FOR_DELIVERY, None, ""), {"run": run.id})
    run.status, run.started_at = RunStatus.STARTED.value, utcnow()
    _event(tx, "run_started", run, actor)
    return _view(session, run.id)


def _stop_on_started_run(
    session: Session, actor: Actor, run_id: int, stop_id: int
) -> tuple[DeliveryRun, RunStop]:
    run = _driven_run(session, actor, run_id)
    stop = _stop(session, run, stop_id)
    return run, stop


def _check_state(run: DeliveryRun | _RunState, stop: RunStop | StopRow, seen: int | None) -> None:
    if run.status != RunStatus.STARTED:
        raise DeliveryConflict(_status_code(run.status, RunStatus.STARTED), run=run.id, status=run.status)
    if seen is not None and seen != stop.version:
        raise DeliveryConflict("stop_changed", stop=stop.id, version=stop.version)


def _stop_orders(tx: Tx, stop: RunStop) -> list[Order]:
    """The stop's orders, each still out for delivery (else a conflict naming it)."""
    session = tx.session
    ids = session.scalars(
        select(StopOrder.order_id).where(StopOrder.stop_id == stop.id).order_by(StopOrder.order_id)
    )
    orders = [session.get(Order, order_id, populate_existing=True) for order_id in ids]
    for order in orders:
        assert order is not None
        if order.status != S.OUT_FOR_DELIVERY:
            raise DeliveryConflict("order_changed", order=order.number, status=order.status)
    return orders  # type: ignore[return-value]


def _done(session: Session, run: DeliveryRun, stop: RunStop, repeated: bool) -> StopDone:
    session.flush()
    return StopDone(run.id, run.status, run.version, done_stop_view(session, stop), repeated)


@dataclass(frozen=True)
class _RunState:
    """What a drop-off reads of its run."""

    id: int
    driver_id: int
    status: str
    version: int
    currency: str


# A drop-off is the command drivers send most, many at once: it is written in plain SQL
# (``tx.execute``) and opens no ORM session, whose reads and flush were most of its time.
_STOP_COLUMNS = ", ".join("s." + column for column in StopRow._fields)
_RUN_AND_STOP = f"""SELECT r.driver_id, r.status, r.version, r.currency, {_STOP_COLUMNS}
FROM delivery_runs r LEFT JOIN run_stops s ON s.id = :stop AND s.run_id = r.id
WHERE r.id = :run"""  # noqa: S608 - the columns are our own constants

_STOP_ORDERS = f"""SELECT {", ".join("o." + c for c in OrderRow._fields)}
FROM stop_orders so JOIN orders o ON o.id = so.order_id
WHERE so.stop_id = :stop ORDER BY o.id"""  # noqa: S608 - the columns are our own constants

_DROPPED_OFF = """UPDATE run_stops SET status = :status, done_at = :done_at, device_at = :device_at,
  recipient = :recipient, drop_latitude = :drop_latitude, drop_longitude = :drop_longitude,
  drop_accuracy_m = :drop_accuracy_m, cash_minor = :cash_minor, photo_hash = :photo_hash,
  signature_hash = :signature_hash, version = version + 1
WHERE id = :id"""


def _run_and_stop(tx: Tx, actor: Actor, run_id: int, stop_id: int) -> tuple[_RunState, StopRow]:
    """``_stop_on_started_run`` in plain SQL."""
    row = tx.execute(_RUN_AND_STOP, {"run": run_id, "stop": stop_id}).fetchone()
    if row is None:
        raise RunNotFound(run_id)
    run = _RunState(run_id, *row[:4])
    if not rules.may_drive(actor, run.driver_id):
        raise DeliveryForbidden("not_your_run")
    if row[4] is None:
        raise StopNotFound(stop_id)
    return run, stop_row(row[4:])


def confirm_drop_off(
    tx: Tx, actor: Actor, run_id: int, stop_id: int, drop: DropOff, *, proofs: Proofs = NO_PROOFS
) -> StopDone:
    """Command: the stop's orders are delivered (``order.delivered``, then ``delivery.dropped_off``)
    with who took them, where, the cash collected and the proofs (stored before, by hash). A
    stop already delivered answers as it is (``repeated``: a double tap, a resent outbox entry);
    one already failed, or changed since the phone saw it, is a conflict."""
    run, stop = _run_and_stop(tx, actor, run_id, stop_id)
    orders = [OrderRow(*row) for row in tx.execute(_STOP_ORDERS, {"stop": stop.id}).fetchall()]
    if stop.status == StopStatus.DELIVERED:
        return StopDone(run.id, run.status, run.version, done_stop_view_of(stop, orders), repeated=True)
    _check_state(run, stop, drop.stop_version)
    if stop.status != StopStatus.PENDING:
        raise DeliveryConflict("stop_done", stop=stop.id, status=stop.status)
    for order in orders:
        if order.status != S.OUT_FOR_DELIVERY:
            raise DeliveryConflict("order_changed", order=order.number, status=order.status)
    cash_expected = any(o.payment_method == "cash_on_delivery" for o in orders)
    settings = delivery_rules_in(tx)
    if problems := rules.drop_off_problems(
        drop, proofs, settings, currency=run.currency, cash_expected=cash_expected
    ):
        raise DeliveryRejected(problems)
    details = {"run": run.id, "stop": stop.id}
    orders = [
        order._replace(
            status=S.DELIVERED.value,
            version=apply_move(tx, actor, Move(order.id, S.DELIVERED, None, ""), details),
        )
        for order in orders
    ]
    stop = _record_drop(tx, stop, drop, proofs)
    if (
        drop.latitude is not None
        and drop.longitude is not None
        and (drop.accuracy_m or 0) <= REMEMBERED_ACCURACY_M
    ):
        _pin(tx, stop.address_key, drop.latitude, drop.longitude, rules.PinSource.DROP_OFF)
    _event(
        tx,
        "dropped_off",
        run,
        actor,
        stop=stop.id,
        orders=",".join(o.number for o in orders),
        cash_minor=stop.cash_minor,
    )
    return StopDone(run.id, run.status, run.version, done_stop_view_of(stop, orders), repeated=False)


def _record_drop(tx: Tx, stop: StopRow, drop: DropOff, proofs: Proofs) -> StopRow:
    """Write the drop-off on the stop; returns the stop as it now is."""
    now = utcnow()
    done = stop._replace(
        status=StopStatus.DELIVERED.value,
        done_at=now,
        device_at=drop.at,
        recipient=drop.recipient.strip() or None,
        drop_latitude=drop.latitude,
        drop_longitude=drop.longitude,
        drop_accuracy_m=None if drop.accuracy_m is None else round(drop.accuracy_m),
        cash_minor=drop.cash_minor,
        photo_hash=proofs.photo,
        signature_hash=proofs.signature,
        version=stop.version + 1,
    )
    values = {name: getattr(done, name) for name in _DROP_COLUMNS}
    values["done_at"] = tx.moment(now)
    values["device_at"] = None if drop.at is None else tx.moment(drop.at)
    tx.execute(_DROPPED_OFF, values)
    return done


_DROP_COLUMNS = (
    "id",
    "status",
    "recipient",
    "drop_latitude",
    "drop_longitude",
    "drop_accuracy_m",
    "cash_minor",
    "photo_hash",
    "signature_hash",
)


def fail_stop(
    tx: Tx,
    actor: Actor,
    run_id: int,
    stop_id: int,
    reason: str,
    *,
    note: str = "",
    at: datetime | None = None,
    stop_version: int | None = None,
) -> StopDone:
    """Command: nobody could take the stop's orders (a ``FailureReason``; "other" needs a note).
    They become ``delivery_failed`` and wait in the ready list to be planned again. Failing a
    failed stop again answers as it is; a delivered one is a conflict."""
    if problems := rules.failure_problems(reason, note):
        raise DeliveryRejected(problems)
    if at is not None and at.tzinfo is None:
        raise DeliveryRejected({"at": "moment_invalid"})
    session = tx.session
    run, stop = _stop_on_started_run(session, actor, run_id, stop_id)
    if stop.status == StopStatus.FAILED:
        return _done(session, run, stop, repeated=True)
    _check_state(run, stop, stop_version)
    if stop.status != StopStatus.PENDING:
        raise DeliveryConflict("stop_done", stop=stop.id, status=stop.status)
    orders = _stop_orders(tx, stop)
    for order in orders:
        details = {"run": run.id, "stop": stop.id, "failure": reason}
        move_order(tx, actor, Move(order.id, S.DELIVERY_FAILED, None, note.strip()), details)
    stop.status, stop.done_at, stop.device_at = StopStatus.FAILED.value, utcnow(), at
    stop.failure_reason, stop.failure_note, stop.version = reason, note.strip(), stop.version + 1
    _event(tx, "failed", run, actor, stop=stop.id, reason=reason, orders=",".join(o.number for o in orders))
    return _done(session, run, stop, repeated=False)


def record_position(tx: Tx, actor: Actor, run_id: int, fix: Fix) -> None:
    """Command: where the driver is, sent while the run is started and never otherwise."""
    problems = {}
    if problem := rules.coordinates_problem(fix.latitude, fix.longitude):
        problems["position"] = problem
    if problem := rules.accuracy_problem(fix.accuracy_m):
        problems["accuracy_m"] = problem
    if fix.at is not None and fix.at.tzinfo is None:
        problems["at"] = "moment_invalid"
    if problems:
        raise DeliveryRejected(problems)
    session = tx.session
    run = _driven_run(session, actor, run_id)
    if run.status != RunStatus.STARTED:
        raise DeliveryConflict(_status_code(run.status, RunStatus.STARTED), run=run.id, status=run.status)
    now, accuracy = utcnow(), round(fix.accuracy_m)
    where = {"latitude": fix.latitude, "longitude": fix.longitude, "accuracy_m": accuracy}
    session.add(RunPosition(run_id=run.id, device_at=fix.at, at=now, **where))
    run.last_latitude, run.last_longitude = fix.latitude, fix.longitude
    run.last_accuracy_m, run.last_position_at = accuracy, now
    _event(tx, "position", run, actor, **where)


def finish_run(tx: Tx, actor: Actor, run_id: int) -> RunView:
    """Command: the driver is back; every stop must be delivered or failed (``stops_pending``)."""
    session = tx.session
    run = _driven_run(session, actor, run_id)
    if run.status == RunStatus.FINISHED:
        return _view(session, run.id)  # a repeated tap
    pending = [s.sequence for s in stops_of(session, run.id) if s.status == StopStatus.PENDING]
    if run.status == RunStatus.STARTED and pending:
        raise DeliveryConflict("stops_pending", run=run.id, pending=len(pending))
    _claim_run(session, run, None, RunStatus.STARTED)
    run.status, run.finished_at = RunStatus.FINISHED.value, utcnow()
    view = _view(session, run.id)
    _event(tx, "run_finished", run, actor, collected=view.cash.collected, expected=view.cash.expected)
    return view


# -- cash -----------------------------------------------------------------------------------------


def declare_cash(
    tx: Tx, actor: Actor, run_id: int, amount_minor: int, currency: str | None = None
) -> RunView:
    """Command: at the end of the run the driver says how much cash they hand back. Said again
    before the owner counts it, the new amount replaces the old (both stay in the events)."""
    session = tx.session
    run = _driven_run(session, actor, run_id)
    if problem := rules.amount_problem(amount_minor, currency, run.currency):
        raise DeliveryRejected({"amount_minor": problem})
    if run.status != RunStatus.FINISHED:
        raise DeliveryConflict("run_not_finished", run=run.id, status=run.status)
    if run.cash_received_minor is not None:
        raise DeliveryConflict("cash_already_received", run=run.id)
    _claim_run(session, run, None)
    run.cash_declared_minor, run.cash_declared_at = amount_minor, utcnow()
    view = _view(session, run.id)
    _event(
        tx,
        "cash_declared",
        run,
        actor,
        declared=amount_minor,
        collected=view.cash.collected,
        difference=view.cash.handover_difference,
        currency=run.currency,
    )
    return view


def confirm_cash(
    tx: Tx,
    actor: Actor,
    run_id: int,
    received_minor: int,
    *,
    currency: str | None = None,
    note: str = "",
    version: int | None = None,
) -> RunView:
    """Command: the owner counted the cash the driver handed back. Expected, collected, declared
    and received stay on the run, and the differences in the event."""
    _must_manage(actor)
    session = tx.session
    run = _run(session, run_id)
    if problem := rules.amount_problem(received_minor, currency, run.currency):
        raise DeliveryRejected({"received_minor": problem})
    if len(note) > rules.MAX_NOTE:
        raise DeliveryRejected({"note": "note_too_long"})
    if run.cash_declared_minor is None:
        raise DeliveryConflict("cash_not_declared", run=run.id)
    if run.cash_received_minor is not None:
        raise DeliveryConflict("cash_already_received", run=run.id)
    _claim_run(session, run, version, RunStatus.FINISHED)
    run.cash_received_minor, run.cash_received_at = received_minor, utcnow()
    run.cash_received_by_id, run.cash_note = actor.user_id, note.strip()
    view = _view(session, run.id)
    cash = view.cash
    _event(
        tx,
        "cash_received",
        run,
        actor,
        expected=cash.expected,
        collected=cash.collected,
        declared=cash.declared,
        received=received_minor,
        difference=cash.receipt_difference,
        currency=run.currency,
    )
    return view


# -- pins and settings ----------------------------------------------------------------------------


# One statement: the pin is written unless the one there has a stronger source (the conflict's
# WHERE), and RETURNING says whether it was. Reading the row first through the ORM cost a
# drop-off about a sixth of its time in the writer.
_PIN_STRENGTH_SQL = " ".join(f"WHEN '{source}' THEN {n}" for source, n in rules.PIN_STRENGTH.items())
_PIN_UPSERT = f"""
INSERT INTO address_pins (address_key, latitude, longitude, source, updated_at)
VALUES (:key, :latitude, :longitude, :source, :now)
ON CONFLICT (address_key) DO UPDATE SET latitude = excluded.latitude,
  longitude = excluded.longitude, source = excluded.source, updated_at = excluded.updated_at
WHERE (CASE address_pins.source {_PIN_STRENGTH_SQL} END) <= :strength
RETURNING address_key"""  # noqa: S608 - the CASE is made of our own constants


def _pin(tx: Tx, key: str, latitude: float, longitude: float, source: rules.PinSource) -> bool:
    """Set the address's pin unless a stronger source set it; True when it was set."""
    params = {
        "key": key,
        "latitude": latitude,
        "longitude": longitude,
        "source": source.value,
        "now": tx.now(),
        "strength": rules.PIN_STRENGTH[source],
    }
    return tx.execute(_PIN_UPSERT, params).fetchone() is not None


def set_pin(
    tx: Tx,
    actor: Actor,
    address: tuple[str, str, str, str],
    latitude: float,
    longitude: float,
    *,
    source: rules.PinSource = rules.PinSource.OWNER,
) -> str:
    """Command: where an address (line 1, postal code, city, country) is, for the planner; the
    owner's pin wins over a geocoder's guess. Returns the address key."""
    if source == rules.PinSource.OWNER:
        _must_manage(actor)
    if problem := rules.coordinates_problem(latitude, longitude):
        raise DeliveryRejected({"position": problem})
    key = rules.address_key(*address)
    if not key:
        raise DeliveryRejected({"address": "address_required"})
    if _pin(tx, key, latitude, longitude, source):
        record(tx, events.PinSet(source=source.value), f"pin:{key[:60]}", actor.user_id)
    return key


def save_settings(tx: Tx, actor: Actor, wanted: rules.DeliveryRules, *, version: int | None = None) -> int:
    """Command: the shop's delivery settings; returns the new version."""
    if not actor.can(Permission.SETTINGS_MANAGE):
        raise DeliveryForbidden("not_permitted")
    if problems := rules.settings_problems(wanted):
        raise DeliveryRejected(problems)
    session = tx.session
    row = session.get(DeliverySettings, 1, with_for_update=True)
    current = 0 if row is None else row.version
    if version is not None and version != current:
        raise DeliveryConflict("settings_changed", version=current)
    if row is None:
        row = DeliverySettings(id=1, version=0)
        session.add(row)
    for name, value in asdict(wanted).items():
        setattr(row, name, value)
    row.version = current + 1
    record(tx, events.SettingsSaved(version=row.version), "delivery:settings", actor.user_id)
    return row.version
