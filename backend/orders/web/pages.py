"""The order page for the team: what was ordered, where it stands, its whole timeline, and what
the person may do with it (decide, edit before picking starts, cancel before dispatch).

The forms posted from it (``edit_routes``, ``queue_routes``) answer with this page when they are
refused, showing the order as it is now beside what was refused and why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.rules import Permission, Role
from backend.auth.web.guards import principal_of, requires
from backend.catalog.models import Product
from backend.catalog.rules import format_tax_rate
from backend.catalog.service import ProductView
from backend.inventory.models import Location
from backend.kernel.events import Event
from backend.orders import decisions, labels, queries
from backend.orders.errors import OrderNotFound
from backend.orders.events import OrderEdited
from backend.orders.risk import REASONS
from backend.orders.rules import MODE_LABELS, STATUS_LABELS, Actor
from backend.orders.views import OrderDetail
from backend.orders.web import edit_form
from backend.orders.web.entry_form import Entry
from backend.web.responses import FormErrors, page
from backend.web.site import LiveUpdates

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


def actor_of(request: AnyRequest) -> Actor:
    principal = principal_of(request)
    return Actor(principal.user_id, principal.permissions, is_customer=principal.role == Role.CUSTOMER)


def _sentences(live: LiveUpdates, detail: OrderDetail) -> list[tuple[Any, str, list[str]]]:
    """(when, what happened, the edit's diff lines) for each step, oldest first, in the app's words."""
    steps = []
    for entry in detail.timeline:
        event = Event(type=entry.type, subject=f"order:{detail.summary.id}", data=entry.data)
        changes = list(event.payload.changes) if isinstance(event.payload, OrderEdited) else []
        steps.append((entry.at, live.describe(event, entry.actor_name or ""), changes))
    return steps


async def _names(session: AsyncSession, detail: OrderDetail, edit: Entry) -> dict[str, str]:
    """SKU → product name, for the lines of the order and of the edit form."""
    names = {line.sku: line.name for line in detail.lines}
    added = [sku for sku, _ in edit.lines if sku not in names]
    if added:
        rows = await session.execute(select(Product.sku, Product.name).where(Product.sku.in_(added)))
        names |= dict(rows.all())
    return names


async def show_order(
    request: AnyRequest, order_id: int, state: PageState | None = None, *, status: int = 200
) -> Template:
    state = state or PageState()
    actor = actor_of(request)
    try:
        async with request.app.state.db.read() as session:
            detail = await queries.get_order(session, order_id)
            edit = state.edit or edit_form.start(detail)
            names = await _names(session, detail, edit)
            locations = await session.scalars(
                select(Location).order_by(Location.is_default.desc(), Location.name)
            )
            places = edit_form.location_choices(list(locations), detail.summary.fulfilment_mode)
    except OrderNotFound:
        raise NotFoundException(f"No order {order_id}.") from None
    order = detail.summary
    context = {
        "order": order,
        "detail": detail,
        "steps": _sentences(request.app.state.site.live, detail),
        "status_labels": STATUS_LABELS,
        "mode_labels": MODE_LABELS,
        "action_labels": labels.ACTION,
        "risk_reasons": REASONS,
        "tax_rate": format_tax_rate,
        "moves": decisions.offered_moves(order.status, order.fulfilment_mode, actor),
        "editable": decisions.can_edit(order.status, actor),
        "edit": edit,
        "names": names,
        "locations": places,
        "state": state,
        "saved": request.query_params.get("saved") == "true",
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: a corrected form is a new request
    }
    return page(request, "orders/order.html", context, status_code=status)


@get("/orders/{order_id:int}", guards=[requires(Permission.ORDERS_VIEW)])
async def order_page(request: AnyRequest, order_id: FromPath[int]) -> Template:
    return await show_order(request, order_id)


ROUTES = [order_page]
