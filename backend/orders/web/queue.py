"""The owner's acceptance queue: orders waiting for a decision, accepted, rejected, held, released
from hold or moved to another location from their card. The order's own page (``orders.pages``)
posts its decisions and its cancellation here too, with ``view=order`` to come back to it.

Every action is a plain form that carries the order's version and an idempotency key, so it can
be queued offline and replayed: what no longer fits the order (changed, cancelled meanwhile) is
answered 409 with the order as it is now, never applied.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web import forms as auth_forms
from backend.auth.web.guards import requires
from backend.i18n.translation import N_, gettext
from backend.kernel.db import utcnow
from backend.kernel.settings import Settings
from backend.orders import decisions, labels, queue
from backend.orders.drafts import OrderRejected
from backend.orders.errors import OrderForbidden, OrderNotFound, OutOfStock, StaleOrder, TransitionRefused
from backend.orders.risk import REASONS
from backend.orders.rules import MESSAGES, Actor, OrderStatus
from backend.orders.service import change_location, transition_order
from backend.orders.web.dependencies import AcceptSteps, CurrentActor
from backend.orders.web.pages import Caller, PageState, Refused, show_order
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
view_orders = requires(Permission.ORDERS_VIEW)
manage_orders = requires(Permission.ORDERS_VIEW, Permission.ORDERS_MANAGE)


STALE = N_("The order changed in the meantime: nothing was done. Here it is as it is now.")
DECIDED = N_("The order is no longer waiting for a decision: nothing was done.")
SHORT = N_("%(location)s lacks stock for: %(lines)s. The order stays where it was.")


@dataclass(frozen=True)
class Refusal:
    """An action that was not applied, and why; ``card`` is the order as it is now."""

    order_id: int
    action: str
    message: str
    card: queue.QueueCard | None = None


def _queue_context(actor: Actor, settings: Settings, cards: list[queue.QueueCard]) -> dict[str, Any]:
    return {
        "moves": lambda order: decisions.queue_moves(order.status, order.fulfilment_mode, actor),
        "editable": lambda order: decisions.can_edit(order.status, actor),
        "cards": cards,
        "now": utcnow(),
        "alert_minutes": settings.order_wait_alert_minutes,
        "labels": labels,
        "risk_reasons": REASONS,
        "minutes_waiting": queue.minutes_waiting,
        "waiting_time": queue.waiting_time,
    }


async def _queue_page(
    caller: Caller, settings: Settings, refusal: Refusal | None = None, status: int = 200
) -> Template:
    board = await queue.queue_board(caller.db, refusal.order_id if refusal else None)
    if refusal is not None:
        refusal = Refusal(refusal.order_id, refusal.action, refusal.message, board.refused)
    context = {
        **_queue_context(caller.actor, settings, board.cards),
        "locations": board.locations,
        "refusal": refusal,
    }
    return page(caller.request, "orders/queue.html", context, status_code=status)


@get("/orders", guards=[view_orders])
async def queue_page(request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings) -> Template:
    return await _queue_page(Caller(request, db, actor), settings)


@get("/orders/{order_id:int}/card", guards=[view_orders])
async def queue_card(
    db: AppDb, actor: CurrentActor, settings: AppSettings, order_id: FromPath[int]
) -> Template | Response[str]:
    """One card, for a live update to fetch; empty once the order no longer waits."""
    try:
        card, locations = await queue.card_with_choices(db, order_id)
    except OrderNotFound:
        raise NotFoundException() from None
    if not queue.is_waiting(card.order):
        return Response("", media_type="text/html")  # the swap removes the card
    context = {**_queue_context(actor, settings, [card]), "card": card, "locations": locations}
    return Template(template_name="orders/_card.html", context=context)


Decision = Callable[[Caller, int, Mapping[str, Any], int], Awaitable[object]]


Refusable = OrderRejected | StaleOrder | TransitionRefused | OutOfStock


def _refusal(exc: Refusable, on_page: bool) -> tuple[str, int]:
    """What to tell about a decision that was not applied, and the status to answer with."""
    if isinstance(exc, OrderRejected):
        return " ".join(gettext(MESSAGES.get(code, code)) for code in exc.problems.values()), 400
    if isinstance(exc, StaleOrder):
        return gettext(STALE if on_page or queue.is_waiting(exc.current) else DECIDED), 409
    if isinstance(exc, TransitionRefused):
        return gettext(MESSAGES.get(exc.code, STALE)), 409
    lines = ", ".join(f"{line.sku} ({line.available}/{line.wanted})" for line in exc.short)
    return gettext(SHORT, location=exc.location, lines=lines), 409


async def _decide(
    caller: Caller, settings: Settings, order_id: int, action: str, decide: Decision
) -> Response[Any] | Template:
    form = await caller.request.form()
    on_page = auth_forms.text(form, "view", 10) == "order"  # posted from the order's own page

    async def refuse(message: str, status: int, field: str | None = None) -> Template:
        if on_page:
            state = PageState(Refused(action, message, field))
            return await show_order(caller, order_id, state, status=status)
        return await _refused(caller, settings, Refusal(order_id, action, message), status)

    version = auth_forms.version(form, FormErrors())
    if version is None:
        return await refuse(auth_forms.message("bad_version"), 400)
    try:
        await decide(caller, order_id, form, version)
    except OrderNotFound:
        raise NotFoundException() from None
    except OrderForbidden:
        raise PermissionDeniedException(N_("You are not allowed to do that")) from None
    except (OrderRejected, StaleOrder, TransitionRefused, OutOfStock) as exc:
        field = next(iter(exc.problems), None) if isinstance(exc, OrderRejected) else None
        return await refuse(*_refusal(exc, on_page), field)
    # The page the form came from: an offline replay lands there, with the card gone from the queue.
    return see_other(f"/orders/{order_id}?saved=true" if on_page else "/orders")


async def _refused(caller: Caller, settings: Settings, refusal: Refusal, status: int) -> Template:
    try:
        return await _queue_page(caller, settings, refusal, status)
    except OrderNotFound:
        raise NotFoundException() from None


def _reason(form: Mapping[str, Any]) -> str:
    return auth_forms.text(form, "reason", 1000)


def _lifecycle_route(action: str, wanted: OrderStatus, *, with_reason: bool) -> HTTPRouteHandler:
    """``POST /orders/{id}/<action>``: one move of the transition table, from a queue card or the
    order page (a reason is required for hold, reject and cancel)."""

    async def handler(
        request: AnyRequest,
        db: AppDb,
        actor: CurrentActor,
        settings: AppSettings,
        *,
        order_accepted: AcceptSteps,
        order_id: FromPath[int],
    ) -> Response[Any] | Template:
        async def decide(caller: Caller, order_id: int, form: Mapping[str, Any], version: int) -> object:
            reason = _reason(form) if with_reason else ""
            return await transition_order(
                caller.db,
                caller.actor,
                order_id,
                wanted,
                version=version,
                reason=reason,
                on_accept=order_accepted,
            )

        return await _decide(Caller(request, db, actor), settings, order_id, action, decide)

    handler.__name__ = handler.__qualname__ = action
    return post(f"/orders/{{order_id:int}}/{action}", guards=[manage_orders])(handler)


accept = _lifecycle_route("accept", OrderStatus.ACCEPTED, with_reason=False)
release = _lifecycle_route("release", OrderStatus.PLACED, with_reason=False)  # on hold → placed
reject = _lifecycle_route("reject", OrderStatus.REJECTED, with_reason=True)
hold = _lifecycle_route("hold", OrderStatus.ON_HOLD, with_reason=True)
cancel = _lifecycle_route("cancel", OrderStatus.CANCELLED, with_reason=True)  # releases the stock


@post("/orders/{order_id:int}/location", guards=[manage_orders])
async def move(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings, order_id: FromPath[int]
) -> Response[Any] | Template:
    async def decide(caller: Caller, order_id: int, form: Mapping[str, Any], version: int) -> object:
        code = auth_forms.text(form, "location", 32)
        if not code:
            raise OrderRejected({"location": "location_unknown"})
        return await change_location(caller.db, caller.actor, order_id, code, version=version)

    return await _decide(Caller(request, db, actor), settings, order_id, "location", decide)


ROUTES = [queue_page, queue_card, accept, release, reject, hold, cancel, move]
