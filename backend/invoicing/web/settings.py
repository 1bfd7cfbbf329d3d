"""The billing settings page: what every invoice says about the seller (legal name, SIREN/SIRET,
VAT number, legal form and capital, the VAT franchise of art. 293 B), payment terms and late
penalties, when orders are invoiced by themselves, and which methods must be paid before an order
leaves; and the events its reactions to those settings had to set aside (``kernel.dead_letters``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.i18n.translation import N_, gettext
from backend.invoicing import billing
from backend.invoicing.reactions import CONSUMER
from backend.invoicing.rules import METHOD_LABELS, Method
from backend.invoicing.web import forms
from backend.invoicing.web.forms import Typed
from backend.kernel.dead_letters import dead_letters
from backend.orders.web.dependencies import CurrentActor
from backend.shop.service import ProfileConflict, ProfileRejected
from backend.shop.web.dependencies import Shop
from backend.web import inputs
from backend.web.dependencies import AppDb
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_settings = requires(Permission.SETTINGS_MANAGE)
METHODS = tuple(method.value for method in Method)
AUTO_LABELS = {
    "": N_("Only when asked"),
    "dispatch": N_("When the order leaves (shipped, out for delivery, picked up)"),
    "delivery": N_("When the customer has it (delivered, picked up)"),
}


async def _page(
    request: AnyRequest,
    db: AppDb,
    typed: Typed,
    *,
    errors: FormErrors | None = None,
    status: int = 200,
    saved: bool = False,
) -> Template:
    async with db.read() as session:
        set_aside = await dead_letters(session, CONSUMER, limit=20)
    context = {
        "typed": typed,
        "set_aside": set_aside,
        "errors": errors or FormErrors(),
        "saved": saved,
        "methods": METHODS,
        "method_labels": METHOD_LABELS,
        "auto_choices": [(value, gettext(AUTO_LABELS[value])) for value in billing.AUTO_INVOICE_CHOICES],
    }
    return page(request, "invoicing/billing.html", context, status_code=status)


@get("/settings/billing", guards=[manage_settings])
async def billing_page(
    request: AnyRequest, db: AppDb, shop: Shop, saved: FromQuery[bool] = False
) -> Template:
    async with db.read() as session:
        settings = await billing.get_billing(session)
    return await _page(request, db, forms.billing_values(settings, shop.currency, METHODS), saved=saved)


@post("/settings/billing", guards=[manage_settings])
async def save_billing(request: AnyRequest, db: AppDb, shop: Shop, actor: CurrentActor) -> Any:
    typed, errors = forms.billing_typed(await request.form(), METHODS), FormErrors()
    wanted = forms.billing_input(typed, shop.currency, METHODS, errors)
    if errors or wanted is None:
        return await _page(request, db, typed, errors=errors, status=422)
    try:
        await db.run(billing.save_billing, actor, wanted, inputs.parse_number(typed.get("version") or None))
    except ProfileRejected as exc:
        forms.billing_problems(exc.problems, errors)
        return await _page(request, db, typed, errors=errors, status=422)
    except ProfileConflict as exc:
        errors.add(None, forms.message("version_conflict"))
        current = forms.billing_values(exc.current, shop.currency, METHODS)  # type: ignore[arg-type]
        return await _page(request, db, current, errors=errors, status=409)
    except billing.BillingForbidden:
        errors.add(None, forms.message("forbidden"))
        return await _page(request, db, typed, errors=errors, status=403)
    return see_other("/settings/billing?saved=true")


ROUTES = [billing_page, save_billing]
