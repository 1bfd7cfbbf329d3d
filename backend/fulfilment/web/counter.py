"""The pickup counter of one location: orders waiting there to be collected, found by the
customer's name, e-mail or phone number or the order number, or straight from the QR code on the
customer's phone ("C-000042/123456"). The customer's 6-digit code hands the order over (picked
up: the reservation becomes a sale); a wrong one is refused and counted, and five in a row lock
the order for 15 minutes. A customer without their code is handed their order once staff have
checked their identity document and said which one (kept on the order's timeline)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlencode

from litestar import get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.fulfilment import board, rules, service
from backend.fulfilment.web import forms
from backend.fulfilment.web.api import REFUSED, message
from backend.i18n.translation import N_, gettext, ngettext
from backend.inventory import levels
from backend.inventory.models import Location
from backend.kernel.db import Database
from backend.orders import labels
from backend.orders.errors import OrderNotFound
from backend.orders.rules import Actor
from backend.orders.web.dependencies import CurrentActor
from backend.web import inputs
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import FormErrors, page, see_other

manage_orders = requires(Permission.ORDERS_VIEW, Permission.ORDERS_MANAGE)

# What the customer's QR code holds (``slips.pickup_qr_text``): the order number, then the code.
QR_TEXT = re.compile(r"^\s*([A-Za-z0-9-]{1,32})\s*/\s*([0-9 -]{6,9})\s*$")
NO_ORDER = N_("No order waiting at the counter has this number.")
CHOOSE = N_("Choose the order first (search by name or number), or scan the customer's QR code.")


CHOOSE_HERE = N_("Choose the counter's location and the order, then check the customer's identity.")


def _here(places: Sequence[Location], code: str) -> Location | None:
    """The counter's location: the one asked for, else the first pickup point, else the default."""
    for place in places:
        if place.code == code:
            return place
    return next((place for place in places if place.is_pickup_point), places[0] if places else None)


async def show_counter(
    request: forms.AnyRequest,
    db: Database,
    search: str = "",
    *,
    location: str = "",
    errors: FormErrors | None = None,
    status: int = 200,
    chosen: int | None = None,
    typed: service.IdentityCheck | None = None,
) -> Template:
    """``typed``: the identity check refused for the ``chosen`` order, filled in again as typed."""
    async with db.read() as session:
        places = await levels.all_locations(session)
        here = _here(places, location)
        waiting = await board.pickup_orders(session, search, location_id=here.id if here else None)
    context = {
        "waiting": waiting,
        "locations": places,
        "here": here,
        "search": search,
        "errors": errors or FormErrors(),
        "chosen": chosen,
        "typed": typed,
        "labels": labels,
        "collected": request.query_params.get("collected", "")[:32],
    }
    return page(request, "fulfilment/counter.html", context, status_code=status)


@get("/fulfilment/counter", guards=[manage_orders])
async def counter(
    request: forms.AnyRequest, db: AppDb, q: FromQuery[str] = "", location: FromQuery[str] = ""
) -> Template:
    return await show_counter(request, db, q[:100], location=location[:32])


async def _order_and_code(db: Database, form: forms.Form, errors: FormErrors) -> tuple[int | None, str]:
    """The order (chosen on the page, or named by the scanned QR code) and the code given."""
    typed = forms.text(form, "code", 64)
    order_id = inputs.parse_id(forms.text(form, "order", 20))
    scanned = QR_TEXT.match(typed)
    if scanned:
        async with db.read() as session:
            order_id = await board.order_by_number(session, scanned.group(1))
        if order_id is None:
            errors.add("code", gettext(NO_ORDER))
        return order_id, scanned.group(2)
    if order_id is None:
        errors.add("code", gettext(CHOOSE))
    return order_id, typed


@post("/fulfilment/counter", guards=[manage_orders])
async def collect(
    request: forms.AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings
) -> Redirect | Template:
    form = await request.form()
    errors = FormErrors()
    search, location = forms.text(form, "q", 100), forms.text(form, "location", 32)
    order_id, code = await _order_and_code(db, form, errors)
    if order_id is None:
        return await show_counter(request, db, search, location=location, errors=errors, status=422)
    done = await _collect(db, actor, settings.secret_key, order_id, code, errors=errors)
    if done is None:
        status = 409 if errors.general else 422
        return await show_counter(
            request, db, search, location=location, errors=errors, status=status, chosen=order_id
        )
    return see_other(_collected(done, location))


def _collected(number: str, location: str) -> str:
    return "/fulfilment/counter?" + urlencode({"collected": number, "location": location})


@post("/fulfilment/counter/identity", guards=[manage_orders])
async def collect_on_identity(
    request: forms.AnyRequest, db: AppDb, actor: CurrentActor
) -> Redirect | Template:
    """Without the code: the box "I checked their ID" ticked and the document named."""
    form = await request.form()
    errors = FormErrors()
    search, location = forms.text(form, "q", 100), forms.text(form, "location", 32)
    order_id = inputs.parse_id(forms.text(form, "order", 20))
    async with db.read() as session:
        here = await levels.find_location(session, location) if location else None
    if order_id is None or here is None:
        errors.add(None, gettext(CHOOSE_HERE))
        return await show_counter(request, db, search, location=location, errors=errors, status=422)
    check = service.IdentityCheck(
        form.get("identity_checked") == "on", forms.text(form, "identity_note", 300)
    )
    try:
        summary = await db.run(service.collect_on_identity, actor, order_id, check, location_id=here.id)
    except OrderNotFound:
        raise NotFoundException() from None
    except REFUSED as exc:
        status = forms.refusal(exc, errors)
        return await show_counter(
            request, db, search, location=location, errors=errors, status=status, chosen=order_id, typed=check
        )
    return see_other(_collected(summary.number, location))


async def _collect(
    db: Database, actor: Actor, secret: str, order_id: int, code: str, *, errors: FormErrors
) -> str | None:
    """The order's number once handed over; None with the reason in ``errors``."""
    key = rules.pickup_key(secret)
    try:
        done = await db.run(service.collect, actor, key, order_id, code)
    except OrderNotFound:
        raise NotFoundException() from None
    except REFUSED as exc:
        forms.refusal(exc, errors)
        return None
    if done.refused == "code_wrong":
        left = ngettext("%(num)d try left.", "%(num)d tries left.", done.attempts_left)
        errors.add("code", f"{message('code_wrong')} {left}")
        return None
    if done.refused:
        errors.add("code", message(done.refused))
        return None
    return done.summary.number


ROUTES = [counter, collect, collect_on_identity]
