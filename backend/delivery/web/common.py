"""What the delivery API and pages share: who may reach them, the planned departure of a day,
the proof directory and routing settings, and a run or a stop as the API shows it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from backend.auth.rules import Permission
from backend.auth.web.guards import principal_of
from backend.delivery.service import StopDone
from backend.delivery.views import RunView, StopView
from backend.delivery.web.schemas import CashOut, PositionOut, RunOut, RunStateOut, StopDoneOut, StopOut
from backend.i18n.translation import N_, current_timezone

DEFAULT_DEPARTURE = time(8, 0)
DELIVERY_PERMISSIONS = frozenset(
    {Permission.DELIVERIES_MANAGE, Permission.DELIVERIES_PERFORM, Permission.ORDERS_VIEW}
)


async def delivery_people(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Planners, drivers and those who see orders; the core checks each run's own rule."""
    if not DELIVERY_PERMISSIONS & principal_of(connection).permissions:
        raise PermissionDeniedException(N_("You are not allowed to do that"))


def departure(day: date, at: time = DEFAULT_DEPARTURE) -> datetime:
    """A moment of ``day`` in the shop's time zone."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(current_timezone.get()))


def utc(moment: datetime | None) -> datetime | None:
    """Moments in the API are UTC, whatever zone the phone sent (both instants are the same)."""
    return None if moment is None else moment.astimezone(UTC)


def proof_url(digest: str | None) -> str | None:
    return None if digest is None else f"/deliveries/proofs/{digest}"


def address_of(line1: str, postal_code: str, city: str) -> str:
    return ", ".join(part for part in (line1, f"{postal_code} {city}".strip()) if part)


def stop_out(stop: StopView) -> StopOut:
    return StopOut(
        id=stop.id,
        sequence=stop.sequence,
        status=stop.status,
        orders=[order.order_id for order in stop.orders],
        eta=stop.eta,
        late=stop.late,
        version=stop.version,
        address=address_of(stop.line1, stop.postal_code, stop.city),
        latitude=stop.latitude,
        longitude=stop.longitude,
        cash_to_collect_minor=stop.cash_to_collect,
        done_at=utc(stop.done_at),
        device_at=utc(stop.device_at),
        recipient=stop.recipient,
        cash_minor=stop.cash_minor,
        photo=proof_url(stop.photo_hash),
        signature=proof_url(stop.signature_hash),
        failure_reason=stop.failure_reason,
    )


def stop_done_out(done: StopDone) -> StopDoneOut:
    return StopDoneOut(RunStateOut(done.run_id, done.run_status, done.run_version), stop_out(done.stop))


def run_out(view: RunView, driver_email: str) -> RunOut:
    cash = view.cash
    position = view.last_position
    return RunOut(
        id=view.id,
        status=view.status,
        driver=driver_email,
        driver_id=view.driver_id,
        date=view.day.isoformat(),
        stops=[stop_out(stop) for stop in view.stops],
        version=view.version,
        started_at=view.started_at,
        finished_at=view.finished_at,
        last_position=None
        if position is None
        else PositionOut(position.latitude, position.longitude, position.accuracy_m, position.at),
        cash=CashOut(
            cash.currency,
            cash.expected,
            cash.collected,
            cash.declared,
            cash.received,
            cash.receipt_difference,
            cash.owed,
        ),
    )
