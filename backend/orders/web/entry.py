"""Staff order entry: a phone order or a counter sale, typed on the phone in a few taps."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.catalog import listing
from backend.i18n.translation import N_, gettext
from backend.kernel.db import utcnow
from backend.orders import history, product_lookup
from backend.orders.drafts import OrderRejected
from backend.orders.errors import OrderForbidden, OutOfStock
from backend.orders.rules import MESSAGES
from backend.orders.service import place_order
from backend.orders.web import entry_form as entries
from backend.orders.web.dependencies import CurrentActor
from backend.orders.web.entry_form import Entry
from backend.orders.web.form_fields import short_lines_errors, slot_days, split_problems
from backend.orders.web.pages import Caller
from backend.web import inputs
from backend.web.dependencies import AppDb
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
take_orders = requires(Permission.ORDERS_PLACE)
CHOICES = 8


def _message(code: str) -> str:
    return gettext(MESSAGES.get(code, N_("Some information is not valid")))


async def _entry_page(
    caller: Caller,
    entry: Entry,
    *,
    errors: FormErrors | None = None,
    status: int = 200,
    products: list[listing.ProductView] | None = None,
    customers: list[history.CustomerRow] | None = None,
) -> Template:
    choices = await product_lookup.line_choices(caller.db, [sku for sku, _ in entry.lines])
    context = {
        "entry": entry,
        "names": choices.names,
        "errors": errors or FormErrors(),
        "locations": choices.locations,
        "products": products,
        "customers": customers,
        "modes": entries.MODES,
        "payments": entries.PAYMENTS,
        "priorities": entries.PRIORITIES,
        "slot_days": slot_days(utcnow()),
        "labels": {
            "mode": entries.MODE_LABELS,
            "payment": entries.PAYMENT_LABELS,
            "priority": entries.PRIORITY_LABELS,
        },
    }
    return page(caller.request, "orders/new.html", context, status_code=status)


@get("/orders/new", guards=[take_orders])
async def new_order_page(request: AnyRequest, db: AppDb, actor: CurrentActor) -> Template:
    return await _entry_page(Caller(request, db, actor), Entry({"payment": "cash"}))


async def _add(caller: Caller, entry: Entry, term: str) -> Template:
    """Add the product a scan or a search names; offer choices when several match."""
    found = await product_lookup.find(caller.db, term)
    if found.sku:
        entry.add(found.sku)
        entry.values["term"] = ""
        return await _entry_page(caller, entry)
    errors = FormErrors()
    if not found.choices:
        errors.add("term", gettext(product_lookup.NO_MATCH) % {"term": term.strip()})
    status = 200 if found.choices else 400
    return await _entry_page(caller, entry, errors=errors, products=found.choices, status=status)


async def _find(caller: Caller, entry: Entry) -> Template:
    found = await history.find_customers(caller.db, entry.get("find"))
    errors = FormErrors()
    if not found.rows:
        errors.add("find", gettext(N_("No customer matches.")))
    return await _entry_page(caller, entry, errors=errors, customers=found.rows[:CHOICES])


async def _pick(caller: Caller, entry: Entry, customer_id: str) -> Template:
    wanted = inputs.parse_id(customer_id)
    customer = await history.contact_of(caller.db, wanted) if wanted is not None else None
    if customer is not None:
        entries.prefill_customer(entry, customer.name, customer.email, customer.phone)
    return await _entry_page(caller, entry)


async def _place(caller: Caller, entry: Entry) -> Response[Any] | Template:
    try:
        if entry.bad_quantities:
            raise OrderRejected({"lines": "quantity_not_whole"})
        draft = entries.draft_of(entry, utcnow())
        if isinstance(draft, dict):
            raise OrderRejected(draft)
        placed = await place_order(caller.db, caller.actor, draft)
    except OrderRejected as exc:
        fields, general = split_problems(exc.problems, _message)
        return await _entry_page(caller, entry, errors=FormErrors(fields, general), status=400)
    except OutOfStock as exc:
        return await _entry_page(caller, entry, errors=short_lines_errors(exc), status=409)
    except OrderForbidden:
        return await _entry_page(
            caller, entry, errors=FormErrors(general=[_message("not_permitted")]), status=403
        )
    return see_other(f"/orders/{placed.id}")


async def _remove(caller: Caller, entry: Entry, sku: str) -> Template:
    entry.remove(sku)
    return await _entry_page(caller, entry)


async def _stay(caller: Caller, entry: Entry, _: str) -> Template:
    return await _entry_page(caller, entry)


ACTIONS = {
    "add": lambda caller, entry, term: _add(caller, entry, term or entry.get("term")),
    "find": lambda caller, entry, _: _find(caller, entry),
    "pick": _pick,
    "remove": _remove,
    "place": lambda caller, entry, _: _place(caller, entry),
    "stay": _stay,
}


@post("/orders/new", guards=[take_orders])
async def order_entry(request: AnyRequest, db: AppDb, actor: CurrentActor) -> Response[Any] | Template:
    """Every button of the entry page posts here; ``action`` says which (``add:SKU``, ``pick:7`` …)."""
    form = await request.form()
    entry = entries.read(form)
    action, _, argument = str(form.get("action") or "").partition(":")
    if action == "enter":  # Enter pressed in one of the search fields
        action = "add" if entry.get("term") else "find" if entry.get("find") else "stay"
    handler, caller = ACTIONS.get(action), Caller(request, db, actor)
    if handler is None:
        return await _entry_page(caller, entry, errors=FormErrors(general=[_message("unknown")]), status=400)
    return await handler(caller, entry, argument)


ROUTES = [new_order_page, order_entry]
