"""Editing an order from its page: change quantities, add a product by scan or search, remove
lines, change the address or the location, then save.

Every button posts the whole form back (``action`` says which) and the page keeps no state on the
server. The form carries the version the person started from: saving over a newer one is refused
with the order as it is now, and their changes are kept in the form to look at again.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web import forms as auth_forms
from backend.auth.web.guards import requires
from backend.i18n.translation import N_, gettext
from backend.orders import decisions, product_lookup
from backend.orders.drafts import OrderRejected
from backend.orders.editing import edit_as_typed
from backend.orders.errors import OrderForbidden, OrderNotFound, OutOfStock, StaleOrder, TransitionRefused
from backend.orders.rules import MESSAGES, Actor
from backend.orders.web import edit_form
from backend.orders.web.dependencies import CurrentActor
from backend.orders.web.entry_form import Entry
from backend.orders.web.form_fields import split_problems
from backend.orders.web.pages import Caller, PageState, Refused, show_order
from backend.orders.web.queue import STALE
from backend.web.dependencies import AppDb
from backend.web.responses import FormErrors, see_other

AnyRequest = Request[Any, Any, Any]
manage_orders = requires(Permission.ORDERS_VIEW, Permission.ORDERS_MANAGE)

SHORT = N_("Only %(available)s left of %(sku)s at %(location)s.")


def _message(code: str) -> str:
    return gettext(MESSAGES.get(code, N_("Some information is not valid")))


async def _form(caller: Caller, order_id: int, state: PageState, status: int = 200) -> Template:
    return await show_order(caller, order_id, state, status=status)


async def _add(caller: Caller, order_id: int, entry: Entry, term: str) -> Template:
    found = await product_lookup.find(caller.db, term)
    if found.sku:
        entry.add(found.sku)
        entry.values["term"] = ""
        return await _form(caller, order_id, PageState(edit=entry))
    errors = FormErrors()
    if not found.choices:
        errors.add("term", gettext(product_lookup.NO_MATCH) % {"term": term.strip()})
    state = PageState(edit=entry, errors=errors, products=found.choices)
    return await _form(caller, order_id, state, 200 if found.choices else 400)


async def _remove(caller: Caller, order_id: int, entry: Entry, sku: str) -> Template:
    entry.remove(sku)
    return await _form(caller, order_id, PageState(edit=entry))


def _short(exc: OutOfStock) -> FormErrors:
    errors = FormErrors()
    for line in exc.short:
        values = {"available": line.available, "sku": line.sku, "location": exc.location}
        errors.add(None, gettext(SHORT) % values)
    return errors


SaveRefusal = OrderRejected | OutOfStock | StaleOrder | TransitionRefused


def _not_saved(exc: SaveRefusal, entry: Entry, actor: Actor) -> tuple[PageState, int]:
    """What the page shows beside the order when the edit was not saved, and the status."""
    if isinstance(exc, OrderRejected):
        fields, general = split_problems(exc.problems, _message)
        return PageState(edit=entry, errors=FormErrors(fields, general)), 400
    if isinstance(exc, OutOfStock):
        return PageState(edit=entry, errors=_short(exc)), 409
    if isinstance(exc, TransitionRefused):
        return PageState(refused=Refused("edit", _message(exc.code))), 409
    if not decisions.can_edit(exc.current.status, actor):  # changed past editing: cancelled, picked…
        return PageState(refused=Refused("edit", gettext(STALE))), 409
    entry.values["version"] = str(exc.current.version)  # saving again is a choice made seeing both
    return PageState(edit=entry, stale=True), 409


async def _save(caller: Caller, order_id: int, entry: Entry) -> Response[Any] | Template:
    version = edit_form.version_of(entry)
    if version is None:
        errors = FormErrors(general=[auth_forms.message("bad_version")])
        return await _form(caller, order_id, PageState(edit=entry, errors=errors), 400)
    typed = partial(edit_form.edit_of, entry)
    try:
        await edit_as_typed(caller.db, caller.actor, order_id, typed, version=version)
    except (OrderRejected, OutOfStock, StaleOrder, TransitionRefused) as exc:
        state, status = _not_saved(exc, entry, caller.actor)
        return await _form(caller, order_id, state, status)
    return see_other(f"/orders/{order_id}?saved=true")


async def _stay(caller: Caller, order_id: int, entry: Entry, _: str) -> Template:
    return await _form(caller, order_id, PageState(edit=entry))


ACTIONS = {
    "add": lambda caller, order_id, entry, term: _add(caller, order_id, entry, term or entry.get("term")),
    "remove": _remove,
    "save": lambda caller, order_id, entry, _: _save(caller, order_id, entry),
    "stay": _stay,
}


@post("/orders/{order_id:int}/edit", guards=[manage_orders])
async def edit(
    request: AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]
) -> Response[Any] | Template:
    """Every button of the edit form posts here; ``action`` says which (``add``, ``remove:SKU`` …)."""
    form = await request.form()
    entry = edit_form.read(form)
    action, _, argument = str(form.get("action") or "").partition(":")
    if action == "enter":  # Enter pressed in a field: look for what the search field holds
        action = "add" if entry.get("term") else "stay"
    handler, caller = ACTIONS.get(action), Caller(request, db, actor)
    try:
        if handler is None:
            state = PageState(edit=entry, errors=FormErrors(general=[_message("unknown")]))
            return await _form(caller, order_id, state, 400)
        return await handler(caller, order_id, entry, argument)
    except OrderNotFound:
        raise NotFoundException() from None
    except OrderForbidden:
        raise PermissionDeniedException(N_("You are not allowed to do that")) from None


ROUTES = [edit]
