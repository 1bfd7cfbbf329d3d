"""The pickup counter: orders waiting to be collected, found by the customer's name or the order
number, or straight from the QR code on the customer's phone ("C-000042/123456"). The customer's
6-digit code hands the order over (picked up: the reservation becomes a sale); a wrong one is
refused and counted, and five in a row lock the order for 15 minutes."""

from __future__ import annotations

import re

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


async def show_counter(
    request: forms.AnyRequest,
    db: Database,
    search: str = "",
    *,
    errors: FormErrors | None = None,
    status: int = 200,
    chosen: int | None = None,
) -> Template:
    async with db.read() as session:
        waiting = await board.pickup_orders(session, search)
    context = {
        "waiting": waiting,
        "search": search,
        "errors": errors or FormErrors(),
        "chosen": chosen,
        "labels": labels,
        "collected": request.query_params.get("collected", "")[:32],
    }
    return page(request, "fulfilment/counter.html", context, status_code=status)


@get("/fulfilment/counter", guards=[manage_orders])
async def counter(request: forms.AnyRequest, db: AppDb, q: FromQuery[str] = "") -> Template:
    return await show_counter(request, db, q[:100])


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
    search = forms.text(form, "q", 100)
    order_id, code = await _order_and_code(db, form, errors)
    if order_id is None:
        return await show_counter(request, db, search, errors=errors, status=422)
    done = await _collect(db, actor, settings.secret_key, order_id, code, errors=errors)
    if done is None:
        status = 409 if errors.general else 422
        return await show_counter(request, db, search, errors=errors, status=status, chosen=order_id)
    return see_other(f"/fulfilment/counter?collected={done}")


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


ROUTES = [counter, collect]
