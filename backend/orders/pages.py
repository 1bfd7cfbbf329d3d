"""The order page for the team: what was ordered, where it stands, and its whole timeline."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.auth.guards import requires
from backend.auth.rules import Permission
from backend.catalog.rules import format_tax_rate
from backend.events import Event
from backend.orders import queries
from backend.orders.errors import OrderNotFound
from backend.orders.risk import REASONS
from backend.orders.rules import MODE_LABELS, STATUS_LABELS
from backend.orders.views import OrderDetail
from backend.realtime.describe import describe
from backend.web import page

AnyRequest = Request[Any, Any, Any]


def _sentences(detail: OrderDetail) -> list[tuple[Any, str, list[str]]]:
    """(when, what happened, the edit's diff lines) for each step, oldest first."""
    steps = []
    for entry in detail.timeline:
        event = Event(type=entry.type, subject=f"order:{detail.summary.id}", data=entry.data)
        changes = [str(change) for change in entry.data.get("changes", [])]
        steps.append((entry.at, describe(event, entry.actor_name or ""), changes))
    return steps


@get("/orders/{order_id:int}", guards=[requires(Permission.ORDERS_VIEW)])
async def order_page(request: AnyRequest, order_id: FromPath[int]) -> Template:
    try:
        async with request.app.state.db.read() as session:
            detail = await queries.get_order(session, order_id)
    except OrderNotFound:
        raise NotFoundException(f"No order {order_id}.") from None
    context = {
        "order": detail.summary,
        "detail": detail,
        "steps": _sentences(detail),
        "status_labels": STATUS_LABELS,
        "mode_labels": MODE_LABELS,
        "risk_reasons": REASONS,
        "tax_rate": format_tax_rate,
    }
    return page(request, "orders/order.html", context)


ROUTES = [order_page]
