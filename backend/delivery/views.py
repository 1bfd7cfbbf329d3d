"""What the delivery commands and reads hand back: plain, frozen values, never ORM rows. Built on
a synchronous session: inside a command (``tx.session``), or from a read (``session.run_sync``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.delivery import rules
from backend.delivery.models import DeliveryRun, DeliverySettings, RunStop, StopOrder
from backend.kernel.tx import Tx, moment_of
from backend.orders.models import Order
from backend.orders.rules import PaymentMethod


@dataclass(frozen=True)
class StopOrderView:
    order_id: int
    number: str
    status: str
    version: int
    customer_name: str
    phone: str | None
    notes: str
    total_minor: int
    currency: str
    payment_method: str

    @property
    def cash_to_collect(self) -> int:
        return self.total_minor if self.payment_method == PaymentMethod.CASH_ON_DELIVERY else 0


@dataclass(frozen=True)
class StopView:
    id: int
    sequence: int
    status: str
    version: int
    orders: list[StopOrderView]
    line1: str
    postal_code: str
    city: str
    latitude: float | None
    longitude: float | None
    window_start: datetime | None
    window_end: datetime | None
    leg_seconds: int
    leg_meters: int
    eta: datetime
    late: bool  # the ETA is past the end of the slot
    done_at: datetime | None
    device_at: datetime | None
    recipient: str | None
    drop_latitude: float | None
    drop_longitude: float | None
    drop_accuracy_m: int | None
    cash_minor: int | None
    photo_hash: str | None
    signature_hash: str | None
    failure_reason: str | None
    failure_note: str

    @property
    def cash_to_collect(self) -> int:
        return sum(order.cash_to_collect for order in self.orders)


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    accuracy_m: int
    at: datetime


@dataclass(frozen=True)
class RunView:
    id: int
    driver_id: int
    driver_name: str
    day: date
    status: str
    version: int
    start_label: str
    start_latitude: float
    start_longitude: float
    starts_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    last_position: Position | None
    stops: list[StopView]
    cash: rules.CashFigures
    cash_note: str

    @property
    def meters(self) -> int:
        return sum(stop.leg_meters for stop in self.stops)


def delivery_rules(session: Session) -> tuple[rules.DeliveryRules, int]:
    """The shop's delivery settings and their version (0: the defaults, never saved)."""
    row = session.get(DeliverySettings, 1)
    if row is None:
        return rules.DEFAULT_SETTINGS, 0
    return rules.DeliveryRules(
        row.service_minutes,
        row.road_factor_percent,
        row.speed_kmh,
        row.require_photo,
        row.require_signature,
        row.require_recipient,
        row.require_position,
    ), row.version


_RULES = """SELECT service_minutes, road_factor_percent, speed_kmh, require_photo, require_signature,
  require_recipient, require_position FROM delivery_settings WHERE id = 1"""


def delivery_rules_in(tx: Tx) -> rules.DeliveryRules:
    """``delivery_rules`` in plain SQL, for a command that opens no ORM session."""
    row = tx.execute(_RULES).fetchone()
    if row is None:
        return rules.DEFAULT_SETTINGS
    return rules.DeliveryRules(*row[:3], *(bool(flag) for flag in row[3:]))


class StopRow(NamedTuple):
    """A stop as plain SQL reads it (``stop_row``): the columns ``_stop_view`` uses."""

    id: int
    run_id: int
    sequence: int
    status: str
    address_key: str
    latitude: float | None
    longitude: float | None
    window_start: datetime | None
    window_end: datetime | None
    leg_seconds: int
    leg_meters: int
    version: int
    done_at: datetime | None
    device_at: datetime | None
    recipient: str | None
    drop_latitude: float | None
    drop_longitude: float | None
    drop_accuracy_m: int | None
    cash_minor: int | None
    photo_hash: str | None
    signature_hash: str | None
    failure_reason: str | None
    failure_note: str


def stop_row(values: Sequence[Any]) -> StopRow:
    """The ``StopRow`` of a row whose columns are ``StopRow._fields`` in that order."""
    row = StopRow(*values)
    return row._replace(
        window_start=moment_of(row.window_start),
        window_end=moment_of(row.window_end),
        done_at=moment_of(row.done_at),
        device_at=moment_of(row.device_at),
    )


class OrderRow(NamedTuple):
    """An order of a stop as plain SQL reads it: the columns ``_stop_view`` uses."""

    id: int
    number: str
    status: str
    version: int
    customer_name: str
    phone: str | None
    notes: str
    total_minor: int
    currency: str
    payment_method: str
    address_line1: str | None
    address_postal_code: str | None
    address_city: str | None


def stops_of(session: Session, run_id: int) -> list[RunStop]:
    query = select(RunStop).where(RunStop.run_id == run_id).order_by(RunStop.sequence, RunStop.id)
    return list(session.scalars(query))


def _orders_by_stop(session: Session, run_id: int) -> dict[int, list[Order]]:
    query = (
        select(StopOrder.stop_id, Order)
        .join(Order, Order.id == StopOrder.order_id)
        .where(StopOrder.run_id == run_id)
        .order_by(StopOrder.stop_id, Order.id)
    )
    found: dict[int, list[Order]] = {}
    for stop_id, order in session.execute(query):
        found.setdefault(stop_id, []).append(order)
    return found


def _order_view(order: Order | OrderRow) -> StopOrderView:
    return StopOrderView(
        order.id,
        order.number,
        order.status,
        order.version,
        order.customer_name,
        order.phone,
        order.notes,
        order.total_minor,
        order.currency,
        order.payment_method,
    )


def run_view(session: Session, run_id: int, now: datetime | None = None) -> RunView | None:
    """The run with its stops in order, each with its orders and ETA (pushed back by ``now``
    when the driver runs late: ``rules.etas``)."""
    run = session.get(DeliveryRun, run_id, populate_existing=True)
    if run is None:
        return None
    settings, _ = delivery_rules(session)
    stops = stops_of(session, run_id)
    orders = _orders_by_stop(session, run_id)
    departure = run.started_at or run.starts_at
    timed = [rules.EtaStop(stop.leg_seconds, stop.window_start, stop.done_at) for stop in stops]
    arrivals = rules.etas(
        timed, departure, settings.service_seconds, now if run.status == "started" else None
    )
    views = [
        _stop_view(stop, orders.get(stop.id, []), eta) for stop, eta in zip(stops, arrivals, strict=True)
    ]
    return RunView(
        run.id,
        run.driver_id,
        session.scalar(select(User.name).where(User.id == run.driver_id)) or "",
        run.day,
        run.status,
        run.version,
        run.start_label,
        run.start_latitude,
        run.start_longitude,
        run.starts_at,
        run.started_at,
        run.finished_at,
        _last_position(run),
        views,
        _cash(run, views),
        run.cash_note,
    )


def done_stop_view(session: Session, stop: RunStop) -> StopView:
    """One stop delivered or failed, alone: its ETA is the moment it was done, whatever the rest
    of the run (``rules.etas``)."""
    assert stop.done_at is not None
    query = (
        select(Order)
        .join(StopOrder, StopOrder.order_id == Order.id)
        .where(StopOrder.stop_id == stop.id)
        .order_by(Order.id)
    )
    return _stop_view(stop, list(session.scalars(query)), stop.done_at)


def done_stop_view_of(stop: StopRow, orders: Sequence[OrderRow]) -> StopView:
    """``done_stop_view`` of rows read in plain SQL."""
    assert stop.done_at is not None
    return _stop_view(stop, orders, stop.done_at)


def _stop_view(stop: RunStop | StopRow, orders: Sequence[Order | OrderRow], eta: datetime) -> StopView:
    first = orders[0] if orders else None
    return StopView(
        stop.id,
        stop.sequence,
        stop.status,
        stop.version,
        [_order_view(order) for order in orders],
        (first.address_line1 if first else None) or "",
        (first.address_postal_code if first else None) or "",
        (first.address_city if first else None) or "",
        stop.latitude,
        stop.longitude,
        stop.window_start,
        stop.window_end,
        stop.leg_seconds,
        stop.leg_meters,
        eta,
        stop.status == rules.StopStatus.PENDING and rules.is_late(eta, stop.window_end),
        stop.done_at,
        stop.device_at,
        stop.recipient,
        stop.drop_latitude,
        stop.drop_longitude,
        stop.drop_accuracy_m,
        stop.cash_minor,
        stop.photo_hash,
        stop.signature_hash,
        stop.failure_reason,
        stop.failure_note,
    )


def _last_position(run: DeliveryRun) -> Position | None:
    if run.last_latitude is None or run.last_longitude is None or run.last_position_at is None:
        return None
    return Position(run.last_latitude, run.last_longitude, run.last_accuracy_m or 0, run.last_position_at)


def _cash(run: DeliveryRun, stops: list[StopView]) -> rules.CashFigures:
    delivered = [stop for stop in stops if stop.status == rules.StopStatus.DELIVERED]
    return rules.cash_figures(
        run.currency,
        (stop.cash_to_collect for stop in delivered),
        (stop.cash_minor for stop in delivered),
        run.cash_declared_minor,
        run.cash_received_minor,
    )
