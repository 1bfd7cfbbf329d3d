"""Run endpoints of the JSON API: create a run (in the suggested order), start it, confirm or fail
a stop (JSON, or multipart with the photo), send positions, finish it, hand back and count its
cash, read one run and list runs by driver and day. A driver's token reaches their own runs only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromQuery

from backend.auth.rules import Permission
from backend.delivery import planning, reads, rules, service
from backend.delivery.errors import DeliveryForbidden, DeliveryRejected, RunNotFound
from backend.delivery.rules import Fix
from backend.delivery.views import RunView
from backend.delivery.web import dropoffs
from backend.delivery.web.common import delivery_people, departure, run_out, stop_done_out
from backend.delivery.web.refusals import REFUSALS, refusal
from backend.delivery.web.schemas import (
    CASH_EXAMPLE,
    DELIVERED_EXAMPLE,
    FAILED_EXAMPLE,
    POSITION_EXAMPLE,
    RUN_EXAMPLE,
    RUN_IN_EXAMPLE,
    RUN_LIST_EXAMPLE,
    STOP_DONE_EXAMPLE,
    VERSION_EXAMPLE,
    CashIn,
    DeliveredIn,
    FailedIn,
    PositionIn,
    RunHeadOut,
    RunIn,
    RunListOut,
    RunOut,
    StopDoneOut,
    VersionIn,
)
from backend.kernel.db import Database, utcnow
from backend.orders.rules import Actor
from backend.orders.web.dependencies import CurrentActor
from backend.web.api_contract import RowId, answers, request_body
from backend.web.dependencies import AppDb, AppSettings
from backend.web.input_guard import decode_body
from backend.web.responses import problem

AnyRequest = Request[Any, Any, Any]
RUN_ANSWERS = answers(
    200, RunOut, 403, 404, 409, 422, writes=True, example=RUN_EXAMPLE, description="The run"
)
STOP_ANSWERS = answers(
    200, StopDoneOut, 403, 404, 409, 422, writes=True, example=STOP_DONE_EXAMPLE, description="The stop"
)
VersionBody = Annotated[VersionIn | None, request_body(VERSION_EXAMPLE)]


def _problem(exc: Exception) -> Response[Any]:
    found = refusal(exc)
    extra: dict[str, Any] = {}
    if found.problems:
        extra["errors"] = found.errors()
    if found.code:
        extra["code"] = found.code
    if found.current:
        extra["current"] = found.current
    return problem(found.status, found.message, **extra)


async def _email(db: Database, user_id: int) -> str:
    async with db.read() as session:
        found = await reads.account(session, user_id=user_id)
    return found.email if found else ""


async def _out(db: Database, view: RunView, status: int = 200) -> Response[bytes]:
    body = msgspec.json.encode(run_out(view, await _email(db, view.driver_id)))
    return Response(body, status_code=status, media_type=MediaType.JSON)


def _stop_answer(done: service.StopDone) -> Response[bytes]:
    return Response(msgspec.json.encode(stop_done_out(done)), media_type=MediaType.JSON)


def _day(raw: str) -> date:
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise DeliveryRejected({"date": "date_invalid"}) from None


@post(
    "/runs",
    guards=[delivery_people],
    summary="Plan a run for a driver, its stops in the suggested order",
    status_code=201,
    responses=answers(
        201, RunOut, 403, 404, 409, 422, writes=True, example=RUN_EXAMPLE, description="The run planned"
    ),
)
async def create_run(
    db: AppDb,
    actor: CurrentActor,
    settings: AppSettings,
    data: Annotated[RunIn, request_body(RUN_IN_EXAMPLE)],
) -> Response[Any]:
    """An order that is not packed for delivery (or already on an open run) is a 409 naming it."""
    try:
        if not rules.may_manage(actor):
            raise DeliveryForbidden("not_permitted")
        day = _day(data.date)
        async with db.read() as session:
            driver = await reads.account(session, email=data.driver)
        if driver is None:
            raise DeliveryRejected({"driver": "driver_unknown"})
        start = None
        if data.location is not None:
            start = service.Start(data.location.latitude, data.location.longitude, data.location.label)
        starts_at = data.starts_at or departure(day)
        if starts_at.tzinfo is None:
            raise DeliveryRejected({"starts_at": "moment_invalid"})
        run = await planning.plan_run(
            db,
            actor,
            driver.id,
            day,
            list(data.orders),
            starts_at=starts_at,
            start=start,
            routing_url=settings.routing_url,
        )
    except REFUSALS as exc:
        return _problem(exc)
    return await _out(db, run, 201)


async def _readable(db: Database, actor: Actor, run_id: int) -> RunView:
    async with db.read() as session:
        view = await reads.run(session, run_id, utcnow())
    if view is None:
        raise RunNotFound(run_id)
    if not rules.may_read_run(actor, view.driver_id):
        raise DeliveryForbidden("not_your_run")
    return view


@get(
    "/runs/{run_id:int}",
    guards=[delivery_people],
    summary="One run: its stops in order with ETAs, progress, last position and cash",
    responses=answers(200, RunOut, 404, example=RUN_EXAMPLE, description="The run"),
)
async def get_run(db: AppDb, actor: CurrentActor, run_id: RowId) -> Response[Any]:
    try:
        view = await _readable(db, actor, run_id)
    except REFUSALS as exc:
        return _problem(exc)
    return await _out(db, view)


@get(
    "/runs",
    guards=[delivery_people],
    summary="Runs, newest day first, of one driver (e-mail or id) and/or one day",
    responses=answers(200, RunListOut, 404, 422, example=RUN_LIST_EXAMPLE, description="The runs"),
)
async def list_runs(
    db: AppDb,
    actor: CurrentActor,
    driver: FromQuery[Annotated[str, msgspec.Meta(max_length=320)] | None] = None,
    date: FromQuery[Annotated[str, msgspec.Meta(max_length=10)] | None] = None,
) -> Response[Any]:
    """A driver who does not plan runs nor see orders lists their own runs only."""
    try:
        day = _day(date) if date else None
        driver_id = await _driver_filter(db, driver)
        if not (rules.may_manage(actor) or actor.can(Permission.ORDERS_VIEW)):
            if driver_id not in (None, actor.user_id):
                raise DeliveryForbidden("not_your_run")
            driver_id = actor.user_id
        async with db.read() as session:
            heads = await reads.runs(session, driver_id=driver_id, day=day)
    except REFUSALS as exc:
        return _problem(exc)
    items = [
        RunHeadOut(h.id, h.status, h.driver_id, h.driver_name, h.day.isoformat(), h.stops, h.done, h.version)
        for h in heads
    ]
    return Response(msgspec.json.encode(RunListOut(items)), media_type=MediaType.JSON)


async def _driver_filter(db: Database, raw: str | None) -> int | None:
    if not raw:
        return None
    async with db.read() as session:
        if raw.isdigit() and len(raw) < 16:
            found = await reads.account(session, user_id=int(raw))
        else:
            found = await reads.account(session, email=raw)
    if found is None:
        raise DeliveryRejected({"driver": "driver_unknown"})
    return found.id


@post(
    "/runs/{run_id:int}/start",
    guards=[delivery_people],
    summary="Start the run",
    status_code=200,
    responses=RUN_ANSWERS,
)
async def start_run(db: AppDb, actor: CurrentActor, run_id: RowId, data: VersionBody = None) -> Response[Any]:
    """Its orders become ``out_for_delivery``; their reserved stock becomes a sale."""
    version = data.version if data else None
    try:
        view = await db.run(service.start_run, actor, run_id, version=version)
    except REFUSALS as exc:
        return _problem(exc)
    return await _out(db, view)


@post(
    "/runs/{run_id:int}/finish",
    guards=[delivery_people],
    summary="Finish the run",
    status_code=200,
    responses=RUN_ANSWERS,
)
async def finish_run(
    db: AppDb, actor: CurrentActor, run_id: RowId, data: VersionBody = None
) -> Response[Any]:
    try:
        view = await db.run(service.finish_run, actor, run_id)
    except REFUSALS as exc:
        return _problem(exc)
    return await _out(db, view)


# -- drop-offs ------------------------------------------------------------------------------------


def _drop_fields() -> dict[str, Schema]:
    number = Schema(type=OpenAPIType.NUMBER)
    text = Schema(type=OpenAPIType.STRING)
    return {
        "recipient": text,
        "latitude": number,
        "longitude": number,
        "accuracy_m": number,
        "cash_minor": Schema(type=OpenAPIType.INTEGER, minimum=0),
        "currency": Schema(type=OpenAPIType.STRING, max_length=3),
        "at": Schema(type=OpenAPIType.STRING, format="date-time"),  # type: ignore[arg-type]
        "version": Schema(type=OpenAPIType.INTEGER),
    }


@dataclass
class DropOffOperation(Operation):
    """The drop-off's body, read by the handler itself (JSON, or multipart with the photo)."""

    def __post_init__(self) -> None:
        json_fields = {**_drop_fields(), "signature_png": Schema(type=OpenAPIType.STRING)}
        form_fields = {
            **_drop_fields(),
            "photo": Schema(type=OpenAPIType.STRING, format="binary"),  # type: ignore[arg-type]
            "signature": Schema(type=OpenAPIType.STRING, format="binary"),  # type: ignore[arg-type]
        }
        self.request_body = RequestBody(
            required=True,
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT, properties=json_fields, examples=[DELIVERED_EXAMPLE]
                    )
                ),
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, properties=form_fields)
                ),
            },
        )


@post(
    "/runs/{run_id:int}/stops/{stop_id:int}/delivered",
    guards=[delivery_people],
    summary="Confirm a drop-off: the stop's orders are delivered",
    status_code=200,
    operation_class=DropOffOperation,
    responses=STOP_ANSWERS,
)
async def stop_delivered(
    request: AnyRequest,
    *,
    db: AppDb,
    actor: CurrentActor,
    settings: AppSettings,
    run_id: RowId,
    stop_id: RowId,
) -> Response[Any]:
    """Confirmed twice (a double tap, a resent request), the second answers as the first. The
    answer is the stop and its run's state (``GET /runs/{id}`` reads the whole run)."""
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            drop, photo, signature = await dropoffs.from_form(await request.form(), None)
        else:
            drop, signature = dropoffs.from_json(decode_body(await request.body(), DeliveredIn))
            photo = None
        where = (run_id, stop_id)
        done = await dropoffs.confirm(
            db, actor, settings.delivery_proof_dir, where, drop=drop, photo=photo, signature=signature
        )
    except REFUSALS as exc:
        return _problem(exc)
    return _stop_answer(done)


@post(
    "/runs/{run_id:int}/stops/{stop_id:int}/failed",
    guards=[delivery_people],
    summary="Fail a stop (reason): its orders are delivery_failed, ready to plan again",
    status_code=200,
    responses=STOP_ANSWERS,
)
async def stop_failed(
    db: AppDb,
    actor: CurrentActor,
    run_id: RowId,
    stop_id: RowId,
    data: Annotated[FailedIn, request_body(FAILED_EXAMPLE)],
) -> Response[Any]:
    try:
        done = await dropoffs.fail(
            db, actor, (run_id, stop_id), reason=data.reason, note=data.note, at=data.at, version=data.version
        )
    except REFUSALS as exc:
        return _problem(exc)
    return _stop_answer(done)


@post(
    "/runs/{run_id:int}/positions",
    guards=[delivery_people],
    summary="Where the driver is (while the run is started)",
    status_code=204,
    responses=answers(204, None, 403, 404, 409, 422, writes=True, description="Kept"),
)
async def send_position(
    db: AppDb, actor: CurrentActor, run_id: RowId, data: Annotated[PositionIn, request_body(POSITION_EXAMPLE)]
) -> Response[None]:
    try:
        await dropoffs.position(
            db, actor, run_id, Fix(data.latitude, data.longitude, data.accuracy_m, data.at)
        )
    except REFUSALS as exc:
        return _problem(exc)  # type: ignore[return-value]
    return Response(None, status_code=204)


# -- cash -----------------------------------------------------------------------------------------


@post(
    "/runs/{run_id:int}/cash/declared",
    guards=[delivery_people],
    summary="The driver declares the cash handed back",
    status_code=200,
    responses=RUN_ANSWERS,
)
async def cash_declared(
    db: AppDb, actor: CurrentActor, run_id: RowId, data: Annotated[CashIn, request_body(CASH_EXAMPLE)]
) -> Response[Any]:
    try:
        view = await db.run(service.declare_cash, actor, run_id, data.amount_minor, data.currency)
    except REFUSALS as exc:
        return _problem(exc)
    return await _out(db, view)


@post(
    "/runs/{run_id:int}/cash/received",
    guards=[delivery_people],
    summary="The owner confirms the cash received; any difference stays on record",
    status_code=200,
    responses=RUN_ANSWERS,
)
async def cash_received(
    db: AppDb, actor: CurrentActor, run_id: RowId, data: Annotated[CashIn, request_body(CASH_EXAMPLE)]
) -> Response[Any]:
    try:
        view = await db.run(
            service.confirm_cash,
            actor,
            run_id,
            data.amount_minor,
            currency=data.currency,
            note=data.note,
            version=data.version,
        )
    except REFUSALS as exc:
        return _problem(exc)
    return await _out(db, view)


ROUTES = [
    create_run,
    get_run,
    list_runs,
    start_run,
    finish_run,
    stop_delivered,
    stop_failed,
    send_position,
    cash_declared,
    cash_received,
]
