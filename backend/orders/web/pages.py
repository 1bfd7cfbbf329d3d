"""The order page for the team: what was ordered, where it stands, its whole timeline, and what
the person may do with it (decide, edit before picking starts, cancel before dispatch).

The forms posted from it (``edit_routes``, ``queue_routes``) answer with this page when they are
refused, showing the order as it is now beside what was refused and why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.catalog.rules import format_tax_rate
from backend.catalog.service import ProductView
from backend.kernel.db import Database
from backend.kernel.events import Event
from backend.orders import decisions, labels, product_lookup, ratings
from backend.orders.errors import OrderNotFound
from backend.orders.events import OrderEdited
from backend.orders.risk import REASONS
from backend.orders.rules import MODE_LABELS, STATUS_LABELS, Actor
from backend.orders.views import OrderDetail
from backend.orders.web import edit_form
from backend.orders.web.dependencies import CurrentActor
from backend.orders.web.entry_form import Entry
from backend.web.dependencies import AppDb
from backend.web.responses import FormErrors, page

AnyRequest = Request[Any, Any, Any]


@dataclass(frozen=True)
class Refused:
    """An action that was not applied (``action`` as in ``decisions.MOVES``), and why."""

    action: str
    message: str
    field: str | None = None  # the form field at fault (a missing reason), if one is


@dataclass
class PageState:
    """What a form posted from the page leaves to show beside the order."""

    refused: Refused | None = None
    edit: Entry | None = None  # the edit form as typed; None: as the order stands
    errors: FormErrors = field(default_factory=FormErrors)  # the edit form's
    products: list[ProductView] | None = None  # choices, when a search matched several
    stale: bool = False  # the edit was made on a version of the order that is no longer current


def _steps(detail: OrderDetail) -> list[tuple[Any, Event, str, list[str]]]:
    """(when, the event, who, the edit's diff lines) for each step, oldest first; the page tells
    each event in the app's words (its ``describe``)."""
    steps = []
    for entry in detail.timeline:
        event = Event(type=entry.type, subject=f"order:{detail.summary.id}", data=entry.data)
        changes = list(event.payload.changes) if isinstance(event.payload, OrderEdited) else []
        steps.append((entry.at, event, entry.actor_name or "", changes))
    return steps


class Caller(NamedTuple):
    """A request to an order's page or form, with what answering it takes."""

    request: AnyRequest
    db: Database
    actor: Actor


async def show_order(
    caller: Caller, order_id: int, state: PageState | None = None, *, status: int = 200
) -> Template:
    request, db, actor = caller
    state = state or PageState()
    typed = [sku for sku, _ in state.edit.lines] if state.edit else []
    try:
        detail, choices = await product_lookup.order_with_choices(db, order_id, typed)
    except OrderNotFound:
        raise NotFoundException(f"No order {order_id}.") from None
    edit = state.edit or edit_form.start(detail)
    places = edit_form.location_choices(choices.locations, detail.summary.fulfilment_mode)
    order = detail.summary
    async with db.read() as session:
        rating = await ratings.rating_of(session, order_id)
    context = {
        "rating": rating,
        "order": order,
        "detail": detail,
        "steps": _steps(detail),
        "status_labels": STATUS_LABELS,
        "mode_labels": MODE_LABELS,
        "action_labels": labels.ACTION,
        "risk_reasons": REASONS,
        "tax_rate": format_tax_rate,
        "moves": decisions.offered_moves(order.status, order.fulfilment_mode, actor),
        "editable": decisions.can_edit(order.status, actor),
        "edit": edit,
        "names": choices.names,
        "locations": places,
        "state": state,
        "saved": request.query_params.get("saved") == "true",
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: a corrected form is a new request
    }
    return page(request, "orders/order.html", context, status_code=status)


@get("/orders/{order_id:int}", guards=[requires(Permission.ORDERS_VIEW)])
async def order_page(
    request: AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]
) -> Template:
    return await show_order(Caller(request, db, actor), order_id)


ROUTES = [order_page]
