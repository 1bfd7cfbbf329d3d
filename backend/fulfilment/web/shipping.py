"""Packed delivery orders waiting for a run ("Ready for delivery"), and the carriers the shop
ships with: a small settings page (name and tracking address per carrier; the defaults until the
first change)."""

from __future__ import annotations

from litestar import get, post
from litestar.response import Redirect, Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.fulfilment import board
from backend.fulfilment.carriers import carriers, save_carrier
from backend.fulfilment.errors import FulfilmentRejected
from backend.fulfilment.rules import CarrierInfo
from backend.fulfilment.web import forms
from backend.fulfilment.web.api import message
from backend.kernel.db import Database, utcnow
from backend.orders import labels
from backend.orders.web.dependencies import CurrentActor
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import FormErrors, page, see_other

view_orders = requires(Permission.ORDERS_VIEW)
manage_shop = requires(Permission.ORDERS_VIEW, Permission.SETTINGS_MANAGE)


@get("/fulfilment/delivery", guards=[view_orders])
async def ready_for_delivery(request: forms.AnyRequest, db: AppDb, settings: AppSettings) -> Template:
    async with db.read() as session:
        cards = await board.ready_for_delivery(session)
    context = {
        "cards": cards,
        "labels": labels,
        "now": utcnow(),
        "alert_minutes": settings.order_wait_alert_minutes,
    }
    return page(request, "fulfilment/delivery.html", context)


async def _carriers_page(
    request: forms.AnyRequest,
    db: Database,
    errors: FormErrors | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    async with db.read() as session:
        listed = await carriers(session)
    context = {
        "carriers": listed,
        "errors": errors or FormErrors(),
        "typed": typed or {},
        "saved": request.query_params.get("saved") == "true",
    }
    return page(request, "fulfilment/carriers.html", context, status_code=status)


@get("/fulfilment/carriers", guards=[manage_shop])
async def carriers_page(request: forms.AnyRequest, db: AppDb) -> Template:
    return await _carriers_page(request, db)


@post("/fulfilment/carriers", guards=[manage_shop])
async def save(request: forms.AnyRequest, db: AppDb, actor: CurrentActor) -> Redirect | Template:
    """Adds a carrier, or changes the one with this code (``active`` unticked: no longer offered)."""
    form = await request.form()
    typed = {
        "code": forms.text(form, "code", 40).lower(),
        "name": forms.text(form, "name", 100),
        "tracking_url": forms.text(form, "tracking_url", 400),
    }
    active = forms.text(form, "active", 10) != "no"
    carrier = CarrierInfo(typed["code"], typed["name"], typed["tracking_url"])
    try:
        await db.run(save_carrier, actor.user_id, carrier, active=active)
    except FulfilmentRejected as exc:
        errors = FormErrors()
        for key, code in exc.problems.items():
            errors.add(key, message(code))
        return await _carriers_page(request, db, errors, typed, 422)
    return see_other("/fulfilment/carriers?saved=true")


ROUTES = [ready_for_delivery, carriers_page, save]
