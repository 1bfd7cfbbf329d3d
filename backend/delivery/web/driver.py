"""The driver's "Today's run" (phone first): start the run; its stops in order with the address,
a navigate link, a call link, what to hand over and the cash to collect; confirm a drop-off
(photo, signature, recipient, position, cash: what the shop requires) or fail it with a reason;
finish the run and say how much cash is handed back. Positions are sent while the run is started.

Confirmations and failures are forms the offline outbox keeps (photos and signatures included)
and sends in order with their keys; an answer of 409 (the stop or an order changed meanwhile) is
kept in the outbox as a conflict for the driver to see."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.catalog.rules import format_price_input
from backend.delivery import reads, rules, service
from backend.delivery.errors import DeliveryRejected
from backend.delivery.rules import Fix
from backend.delivery.web import dropoffs
from backend.delivery.web.common import address_of
from backend.delivery.web.pages import _today, amount
from backend.delivery.web.refusals import REFUSALS, refusal
from backend.delivery.web.schemas import PositionIn
from backend.i18n.translation import N_
from backend.kernel.db import Database, utcnow
from backend.orders.rules import Actor
from backend.orders.web.dependencies import CurrentActor
from backend.web.dependencies import AppDb, AppSettings
from backend.web.input_guard import decode_body
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
drive = requires(Permission.DELIVERIES_PERFORM)
TODAY = "/deliveries/today"

DONE = {
    "finished": N_("Run finished."),
    "declared": N_("Cash handed back recorded."),
}


async def _today_page(
    request: AnyRequest,
    db: Database,
    actor: Actor,
    *,
    errors: FormErrors | None = None,
    failed_stop: int | None = None,
    done: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Template:
    """``typed``: what the driver typed in an amount field the server refused, shown again."""
    assert actor.user_id is not None
    async with db.read() as session:
        run_id = await reads.current_run_of(session, actor.user_id, _today())
        run = await reads.run(session, run_id, utcnow()) if run_id else None
        settings, _ = await reads.settings(session)
        ids = [order.order_id for stop in run.stops for order in stop.orders] if run else []
        lines = await reads.hand_over(session, ids) if ids else {}
    context = {
        "lines": lines,
        "run": run,
        "settings": settings,
        "errors": errors or FormErrors(),
        "failed_stop": failed_stop,
        "done": DONE.get(done or ""),
        "address_of": address_of,
        "reasons": rules.FAILURE_LABELS,
        "typed": typed or {},
        "major": format_price_input,  # an amount as the driver would type it: "12.50"
    }
    return page(request, "delivery/today.html", context, status_code=status)


@get(TODAY, guards=[drive])
async def today(
    request: AnyRequest, db: AppDb, actor: CurrentActor, done: FromQuery[str | None] = None
) -> Template:
    return await _today_page(request, db, actor, done=done)


# The core's problems about an amount, shown under the field where the driver typed it.
AMOUNT_FIELDS = {"cash_minor": "cash", "amount_minor": "amount"}


async def _refused(
    request: AnyRequest,
    db: Database,
    actor: Actor,
    exc: Exception,
    stop_id: int | None,
    *,
    typed: dict[str, str] | None = None,
) -> Template:
    found, errors = refusal(exc), FormErrors()
    for item in found.errors() or [{"key": "", "message": found.message}]:
        errors.add(AMOUNT_FIELDS.get(item["key"]), item["message"])
    status = 400 if found.status == 422 else found.status
    return await _today_page(
        request, db, actor, errors=errors, failed_stop=stop_id, status=status, typed=typed
    )


@post(TODAY + "/{run_id:int}/start", guards=[drive])
async def start(request: AnyRequest, db: AppDb, actor: CurrentActor, run_id: FromPath[int]) -> Any:
    form = await request.form()
    raw = str(form.get("version") or "")
    try:
        await db.run(
            service.start_run, actor, run_id, version=int(raw) if raw.isdigit() and len(raw) < 16 else None
        )
    except REFUSALS as exc:
        return await _refused(request, db, actor, exc, None)
    return see_other(TODAY)  # the page the phone keeps for offline use


@post(TODAY + "/{run_id:int}/stops/{stop_id:int}/delivered", guards=[drive])
async def delivered(
    request: AnyRequest,
    *,
    db: AppDb,
    actor: CurrentActor,
    settings: AppSettings,
    run_id: FromPath[int],
    stop_id: FromPath[int],
) -> Any:
    form = await request.form()
    cash_raw = str(form.get("cash") or "").strip()[:32]
    try:
        # Typed in major units ("12.50", "12,50") like every amount of the app; the core counts minor.
        currency = str(form.get("currency") or "EUR")[:3]
        cash = amount(cash_raw, currency, "cash_minor") if cash_raw else None
        drop, photo, signature = await dropoffs.from_form(form, cash, typed_in_major=True)
        where = (run_id, stop_id)
        await dropoffs.confirm(
            db, actor, settings.delivery_proof_dir, where, drop=drop, photo=photo, signature=signature
        )
    except REFUSALS as exc:
        return await _refused(request, db, actor, exc, stop_id, typed={"cash": cash_raw})
    return see_other(TODAY)


@post(TODAY + "/{run_id:int}/stops/{stop_id:int}/failed", guards=[drive])
async def failed(
    request: AnyRequest, db: AppDb, actor: CurrentActor, run_id: FromPath[int], stop_id: FromPath[int]
) -> Any:
    form = await request.form()
    problems: dict[str, str] = {}
    try:
        at = dropoffs.moment(form.get("at"), problems)
        if problems:
            raise DeliveryRejected(problems)
        raw = str(form.get("version") or "")
        version = int(raw) if raw.isdigit() and len(raw) < 16 else None
        reason, note = str(form.get("reason") or "")[:32], str(form.get("note") or "")[:1000]
        await dropoffs.fail(db, actor, (run_id, stop_id), reason=reason, note=note, at=at, version=version)
    except REFUSALS as exc:
        return await _refused(request, db, actor, exc, stop_id)
    return see_other(TODAY)


@post(TODAY + "/{run_id:int}/finish", guards=[drive])
async def finish(request: AnyRequest, db: AppDb, actor: CurrentActor, run_id: FromPath[int]) -> Any:
    try:
        await db.run(service.finish_run, actor, run_id)
    except REFUSALS as exc:
        return await _refused(request, db, actor, exc, None)
    return see_other(f"{TODAY}?done=finished")


@post(TODAY + "/{run_id:int}/cash", guards=[drive])
async def declare(request: AnyRequest, db: AppDb, actor: CurrentActor, run_id: FromPath[int]) -> Any:
    form = await request.form()
    typed = str(form.get("amount") or "").strip()[:32]
    try:
        currency = str(form.get("currency") or "EUR")[:3]
        handed = amount(typed, currency, "amount_minor")  # major units, as typed
        await db.run(service.declare_cash, actor, run_id, handed, currency)
    except REFUSALS as exc:
        return await _refused(request, db, actor, exc, None, typed={"amount": typed})
    return see_other(f"{TODAY}?done=declared")


@post(TODAY + "/{run_id:int}/position", guards=[drive], status_code=204)
async def position(
    request: AnyRequest, db: AppDb, actor: CurrentActor, run_id: FromPath[int]
) -> Response[None]:
    """Sent by the page every ~30 s while the run is started; refusals say why, in JSON."""
    try:
        data = decode_body(await request.body(), PositionIn)
        await dropoffs.position(
            db, actor, run_id, Fix(data.latitude, data.longitude, data.accuracy_m, data.at)
        )
    except REFUSALS as exc:
        found = refusal(exc)
        body = msgspec.json.encode({"status": found.status, "detail": found.message})
        return Response(body, status_code=found.status, media_type="application/json")  # type: ignore[return-value]
    return Response(None, status_code=204)


ROUTES = [today, start, delivered, failed, finish, declare, position]
