"""The Deliveries tab (owner and staff): the orders ready for delivery (by area and slot), a run
created for a driver in the suggested order or the day planned for several drivers, each run's
page (stops in order with ETAs, moved, added or removed until it starts; progress, the driver's
last position on a map and in a list; the cash handed back, counted), pins for addresses the map
does not know, and the cash each driver still holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.catalog.rules import parse_price
from backend.delivery import planning, reads, rules, service
from backend.delivery.errors import DeliveryRejected
from backend.delivery.web.common import address_of, departure
from backend.delivery.web.refusals import REFUSALS, refusal
from backend.i18n.translation import N_, current_timezone
from backend.kernel.db import Database, utcnow
from backend.orders.rules import Actor
from backend.orders.web.dependencies import CurrentActor
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_deliveries = requires(Permission.DELIVERIES_MANAGE)

SAVED = {
    "created": N_("Run planned."),
    "planned": N_("The day is planned."),
    "moved": N_("Stop moved."),
    "removed": N_("Stop removed: its orders are ready again."),
    "added": N_("Orders added to the run."),
    "suggested": N_("Stops put in the suggested order."),
    "counted": N_("Cash receipt recorded."),
    "pinned": N_("Pin set."),
    "located": N_("Addresses looked up."),
}
RUN_LABELS = {"planned": N_("Planned"), "started": N_("On the road"), "finished": N_("Finished")}
UNPLACED = {
    "no_position": N_("no position: set a pin"),
    "window_unreachable": N_("its slot cannot be kept"),
}


@dataclass(frozen=True)
class Filters:
    day: date
    area: str = ""
    slot_from: str = ""  # HH:MM of the day
    slot_until: str = ""

    def moment(self, raw: str) -> datetime | None:
        try:
            return departure(self.day, time.fromisoformat(raw)) if raw else None
        except ValueError:
            return None


def _today() -> date:
    return utcnow().astimezone(_zone()).date()


def _zone() -> ZoneInfo:
    return ZoneInfo(current_timezone.get())


def _day(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw) if raw and len(raw) == 10 else _today()
    except ValueError:
        return _today()


async def _board(db: Database, filters: Filters) -> dict[str, Any]:
    async with db.read() as session:
        ready = await reads.ready_for_delivery(
            session,
            postal_prefix=filters.area[:20],
            slot_from=filters.moment(filters.slot_from),
            slot_until=filters.moment(filters.slot_until),
        )
        runs = await reads.runs(session, day=filters.day)
        drivers = await reads.drivers(session)
        owed = await reads.cash_owed(session)
        started = [await reads.run(session, head.id) for head in runs if head.status == "started"]
    names = {driver.id: driver.name for driver in drivers}
    return {
        "filters": filters,
        "ready": ready,
        "runs": runs,
        "drivers": drivers,
        "owed": [(names.get(driver, str(driver)), amounts) for driver, amounts in owed.items()],
        "positions": [run for run in started if run is not None],
        "address_of": address_of,
        "run_labels": RUN_LABELS,
    }


async def _board_page(
    request: AnyRequest,
    db: Database,
    filters: Filters,
    *,
    errors: FormErrors | None = None,
    chosen: tuple[list[str], list[str]] = ([], []),
    saved: str | None = None,
    unplaced: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> Template:
    context = await _board(db, filters)
    context |= {
        "errors": errors or FormErrors(),
        "chosen_orders": chosen[0],
        "chosen_drivers": chosen[1],
        "saved": SAVED.get(saved or ""),
        "unplaced": unplaced or [],
        "unplaced_labels": UNPLACED,
    }
    return page(request, "delivery/board.html", context, status_code=status)


@get("/deliveries", guards=[manage_deliveries])
async def board(
    request: AnyRequest,
    *,
    db: AppDb,
    day: FromQuery[str | None] = None,
    area: FromQuery[str] = "",
    slot_from: FromQuery[str] = "",
    slot_until: FromQuery[str] = "",
    saved: FromQuery[str | None] = None,
) -> Template:
    filters = Filters(_day(day), area.strip()[:20], slot_from[:5], slot_until[:5])
    return await _board_page(request, db, filters, saved=saved)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 16]


def _refused_form(exc: Exception, errors: FormErrors) -> int:
    found = refusal(exc)
    if found.problems:
        for key, message in ((k, e["message"]) for k, e in zip(found.problems, found.errors(), strict=True)):
            errors.add(None if key in {"orders", "drivers", "location", "date"} else key, message)
    else:
        detail = found.message
        if order := found.current.get("order"):
            detail = f"{detail} ({order})"
        errors.add(None, detail)
    return 400 if found.status in (404, 422) else found.status


@post("/deliveries/plan", guards=[manage_deliveries])
async def plan(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings
) -> Response[Any] | Template:
    """One run for one driver in the suggested order ("create"), or the day split between the
    chosen drivers ("plan_day"), slots kept."""
    form = await request.form()
    orders, drivers = form.getall("orders", []), form.getall("drivers", [])
    filters = Filters(_day(str(form.get("day") or "")), str(form.get("area") or "")[:20])
    errors, day = FormErrors(), filters.day
    unplaced: list[tuple[str, str]] = []
    try:
        driver_ids, order_ids = _ids(drivers), _ids(orders)
        if not order_ids:
            raise DeliveryRejected({"orders": "orders_empty"})
        if not driver_ids:
            raise DeliveryRejected({"drivers": "drivers_empty"})
        if form.get("action") == "plan_day":
            result = await planning.plan_day(
                db,
                actor,
                day,
                driver_ids,
                order_ids,
                starts_at=departure(day),
                routing_url=settings.routing_url,
            )
            if not result.unplaced:
                return see_other(f"/deliveries?day={day.isoformat()}&saved=planned")
            unplaced = await _numbers(db, result.unplaced)
        else:
            if len(driver_ids) != 1:
                raise DeliveryRejected({"drivers": "one_driver"})
            run = await planning.plan_run(
                db,
                actor,
                driver_ids[0],
                day,
                order_ids,
                starts_at=departure(day),
                routing_url=settings.routing_url,
            )
            return see_other(f"/deliveries/runs/{run.id}?saved=created")
    except REFUSALS as exc:
        status = _refused_form(exc, errors)
        return await _board_page(request, db, filters, errors=errors, chosen=(orders, drivers), status=status)
    return await _board_page(request, db, filters, saved="planned", unplaced=unplaced)


async def _numbers(db: Database, unplaced: dict[int, str]) -> list[tuple[str, str]]:
    async with db.read() as session:
        ready = await reads.ready_for_delivery(session)
    numbers = {o.order_id: o.number for group in ready for o in group.orders}
    return [(numbers.get(order_id, str(order_id)), why) for order_id, why in unplaced.items()]


# -- one run --------------------------------------------------------------------------------------


async def _run_page(
    request: AnyRequest,
    db: Database,
    actor: Actor,
    run_id: int,
    *,
    errors: FormErrors | None = None,
    saved: str | None = None,
    status: int = 200,
) -> Template:
    async with db.read() as session:
        run = await reads.run(session, run_id, utcnow())
        if run is None:
            raise NotFoundException()
        ready = await reads.ready_for_delivery(session) if run.status == "planned" else []
    context = {
        "run": run,
        "ready": ready,
        "errors": errors or FormErrors(),
        "saved": SAVED.get(saved or ""),
        "address_of": address_of,
        "failure_labels": rules.FAILURE_LABELS,
        "may_count": rules.may_manage(actor),
        "run_labels": RUN_LABELS,
    }
    return page(request, "delivery/run.html", context, status_code=status)


@get("/deliveries/runs/{run_id:int}", guards=[manage_deliveries])
async def run_page(
    request: AnyRequest,
    db: AppDb,
    actor: CurrentActor,
    run_id: FromPath[int],
    saved: FromQuery[str | None] = None,
) -> Template:
    return await _run_page(request, db, actor, run_id, saved=saved)


def _version(form: Any) -> int | None:
    raw = str(form.get("version") or "")
    return int(raw) if raw.isdigit() and len(raw) < 16 else None


async def _act_on_run(
    request: AnyRequest, db: Database, actor: Actor, run_id: int, *, action: Any, saved: str
) -> Any:
    """Run one planning command at the version the page showed; a refusal shows the page with why."""
    form = await request.form()
    errors = FormErrors()
    try:
        await action(form, _version(form))
    except REFUSALS as exc:
        status = _refused_form(exc, errors)
        return await _run_page(request, db, actor, run_id, errors=errors, status=status)
    return see_other(f"/deliveries/runs/{run_id}?saved={saved}")


@post("/deliveries/runs/{run_id:int}/stops/{stop_id:int}/move", guards=[manage_deliveries])
async def move_stop(
    request: AnyRequest, db: AppDb, actor: CurrentActor, run_id: FromPath[int], stop_id: FromPath[int]
) -> Any:
    async def action(form: Any, version: int | None) -> None:
        steps = -1 if form.get("direction") == "up" else 1
        await db.run(service.move_stop, actor, run_id, stop_id, steps, version=version)

    return await _act_on_run(request, db, actor, run_id, action=action, saved="moved")


@post("/deliveries/runs/{run_id:int}/stops/{stop_id:int}/remove", guards=[manage_deliveries])
async def remove_stop(
    request: AnyRequest, db: AppDb, actor: CurrentActor, run_id: FromPath[int], stop_id: FromPath[int]
) -> Any:
    async def action(form: Any, version: int | None) -> None:
        await db.run(service.remove_stop, actor, run_id, stop_id, version=version)

    return await _act_on_run(request, db, actor, run_id, action=action, saved="removed")


@post("/deliveries/runs/{run_id:int}/orders", guards=[manage_deliveries])
async def add_orders(request: AnyRequest, db: AppDb, actor: CurrentActor, run_id: FromPath[int]) -> Any:
    async def action(form: Any, version: int | None) -> None:
        await db.run(service.add_orders, actor, run_id, _ids(form.getall("orders", [])), version=version)

    return await _act_on_run(request, db, actor, run_id, action=action, saved="added")


@post("/deliveries/runs/{run_id:int}/suggest", guards=[manage_deliveries])
async def suggest(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings, run_id: FromPath[int]
) -> Any:
    async def action(form: Any, version: int | None) -> None:
        await planning.suggest_order(db, actor, run_id, version=version, routing_url=settings.routing_url)

    return await _act_on_run(request, db, actor, run_id, action=action, saved="suggested")


def amount(raw: object, currency: str, field: str) -> int:
    """An amount typed in major units ("12.50", "12,50"), as every amount of the app is, in
    minor units; ``field`` names it in the refusal."""
    try:
        return parse_price(str(raw or ""), currency)
    except ValueError:
        raise DeliveryRejected({field: "cash_amount_invalid"}) from None


@post("/deliveries/runs/{run_id:int}/cash", guards=[manage_deliveries])
async def count_cash(request: AnyRequest, db: AppDb, actor: CurrentActor, run_id: FromPath[int]) -> Any:
    async def action(form: Any, version: int | None) -> None:
        currency = str(form.get("currency") or "EUR")[:3]
        received = amount(form.get("received"), currency, "received")
        note = str(form.get("note") or "")[: rules.MAX_NOTE + 1]
        await db.run(
            service.confirm_cash, actor, run_id, received, currency=currency, note=note, version=version
        )

    return await _act_on_run(request, db, actor, run_id, action=action, saved="counted")


# -- pins -----------------------------------------------------------------------------------------


def _coordinate(raw: object) -> float:
    try:
        text = str(raw or "").strip().replace(",", ".")
        return float(text) if 0 < len(text) < 20 else float("nan")
    except ValueError:
        return float("nan")


@get("/deliveries/pin/{order_id:int}", guards=[manage_deliveries])
async def pin_page(
    request: AnyRequest, db: AppDb, settings: AppSettings, order_id: FromPath[int]
) -> Template:
    async with db.read() as session:
        found = await reads.order_address(session, order_id)
    if found is None:
        raise NotFoundException()
    context = {"order": found, "errors": FormErrors(), "geocoder": bool(settings.geocoder_url)}
    return page(request, "delivery/pin.html", context)


@post("/deliveries/pins", guards=[manage_deliveries])
async def set_pin(request: AnyRequest, db: AppDb, actor: CurrentActor) -> Any:
    """Where an address is, for the orders to it the map does not know (the owner's pin)."""
    form = await request.form()
    address = tuple(str(form.get(name) or "")[:200] for name in ("line1", "postal_code", "city", "country"))
    back = str(form.get("back") or "/deliveries")
    back = back if back.startswith("/deliveries") and "//" not in back else "/deliveries"
    errors = FormErrors()
    try:
        latitude, longitude = _coordinate(form.get("latitude")), _coordinate(form.get("longitude"))
        await db.run(service.set_pin, actor, address, latitude, longitude)  # type: ignore[arg-type]
    except REFUSALS as exc:
        status = _refused_form(exc, errors)
        return await _board_page(request, db, Filters(_today()), errors=errors, status=status)
    return see_other(f"{back}{'&' if '?' in back else '?'}saved=pinned")


@post("/deliveries/locate", guards=[manage_deliveries])
async def locate(request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings) -> Any:
    """Ask the shop's geocoder where the chosen orders without a position are."""
    form = await request.form()
    await planning.locate(db, actor, settings.geocoder_url, _ids(form.getall("orders", [])))
    return see_other("/deliveries?saved=located")


ROUTES = [
    board,
    plan,
    run_page,
    move_stop,
    remove_stop,
    add_orders,
    suggest,
    count_cash,
    pin_page,
    set_pin,
    locate,
]
