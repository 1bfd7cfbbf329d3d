"""The tracking page a shopper lands on after checkout, and calling the order off from it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.web import forms as auth_forms
from backend.auth.web.guards import PUBLIC, customer_account, signed_in
from backend.fulfilment.tracking import HandOver, hand_over_for_customer
from backend.i18n.translation import N_, gettext
from backend.kernel.db import Database
from backend.orders.drafts import OrderRejected
from backend.orders.errors import OrderForbidden, OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.rules import MESSAGES, Actor
from backend.orders.service import cancel_order
from backend.orders.web.dependencies import CurrentActor
from backend.orders.web.pages import Caller
from backend.storefront import tracking
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]

TOO_LATE = N_(
    "The shop has started on your order: it can no longer be cancelled here. Please contact the shop."
)
MY_ORDERS = "/my/orders"
CHANGED = N_("Your order changed in the meantime: nothing was done. Here it is as it is now.")


async def _tracked(db: Database, token: str) -> tracking.Tracked:
    async with db.read() as session:
        order = await tracking.tracked_order(session, token)
    if order is None:
        raise NotFoundException(N_("No order has this tracking link."))
    return order


async def _own(db: Database, actor: Actor, order_id: int) -> tracking.Tracked:
    async with db.read() as session:
        order = await tracking.own_order(session, order_id, actor.user_id)
    if order is None:
        raise NotFoundException(N_("You have no order with this number."))
    return order


async def _tracking_page(
    request: AnyRequest,
    actor: Actor,
    order: tracking.Tracked,
    path: str,
    *,
    placed: bool = False,
    errors: FormErrors | None = None,
    status: int = 200,
    hand_over: HandOver | None = None,
) -> Template:
    context = {
        "order": order,
        "hand_over": hand_over,  # the pickup code, or the carrier's link
        "placed": placed,
        "path": path,
        # Reached from "My orders", the page follows the order over the account's own socket.
        "by_account": path.startswith(MY_ORDERS),
        "tracking_url": str(request.url.with_replacements(path=path, query="")),
        "status_labels": tracking.STATUS_LABELS,
        "step_labels": tracking.STEP_LABELS,
        "may_cancel": tracking.may_cancel(order, actor),
        "errors": errors or FormErrors(),
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: a corrected form is a new request
    }
    headers = {"Cache-Control": "no-store"}
    return page(request, "storefront/track.html", context, status_code=status, headers=headers)


async def _hand_over(db: Database, secret_key: str, order_id: int) -> HandOver | None:
    async with db.read() as session:
        return await hand_over_for_customer(session, secret_key, order_id)


@get("/t/{token:str}", opt=PUBLIC)
async def tracking_page(
    request: AnyRequest,
    db: AppDb,
    actor: CurrentActor,
    settings: AppSettings,
    *,
    token: FromPath[str],
    placed: FromQuery[bool] = False,
) -> Template:
    order = await _tracked(db, token)
    hand_over = await _hand_over(db, settings.secret_key, order.id)
    return await _tracking_page(request, actor, order, f"/t/{token}", placed=placed, hand_over=hand_over)


@get(MY_ORDERS + "/{order_id:int}", guards=[customer_account])
async def own_order_page(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings, order_id: FromPath[int]
) -> Template:
    """The tracking page of one of the signed-in customer's orders, found from "My orders": the
    link with its token was shown once, at checkout, and only its hash is kept."""
    order = await _own(db, actor, order_id)
    hand_over = await _hand_over(db, settings.secret_key, order.id)
    return await _tracking_page(request, actor, order, f"{MY_ORDERS}/{order_id}", hand_over=hand_over)


Refusal = OrderForbidden | OrderRejected | StaleOrder | TransitionRefused


def _refused(exc: Refusal) -> tuple[FormErrors, int]:
    if isinstance(exc, OrderRejected):  # the reason: missing or too long
        code = next(iter(exc.problems.values()))
        return FormErrors({"reason": gettext(MESSAGES.get(code, code))}), 400
    if isinstance(exc, StaleOrder):
        return FormErrors(general=[gettext(CHANGED)]), 409
    # Their own order, which customers may no longer call off: the shop has started on it.
    return FormErrors(general=[gettext(TOO_LATE)]), 409


Load = Callable[[], Awaitable[tracking.Tracked]]


async def _cancel(caller: Caller, load: Load, path: str) -> Response[Any] | Template:
    """The customer calls their own order off, with a reason, until the shop accepts it."""
    request, db, actor = caller
    form = await request.form()
    order = await load()
    version = auth_forms.version(form, FormErrors())
    if version is None:
        errors = FormErrors(general=[auth_forms.message("bad_version")])
        return await _tracking_page(request, actor, order, path, errors=errors, status=400)
    reason = auth_forms.text(form, "reason", 1000)
    try:
        await cancel_order(db, actor, order.id, reason, version=version)
    except OrderNotFound:
        raise NotFoundException(N_("No order has this tracking link.")) from None
    except (OrderForbidden, OrderRejected, StaleOrder, TransitionRefused) as exc:
        if isinstance(exc, OrderForbidden) and not tracking.is_own(order, actor):
            raise PermissionDeniedException(N_("You are not allowed to do that")) from None
        errors, status = _refused(exc)
        return await _tracking_page(request, actor, await load(), path, errors=errors, status=status)
    return see_other(path)


@post("/t/{token:str}/cancel", guards=[signed_in])
async def cancel_from_tracking(
    request: AnyRequest, db: AppDb, actor: CurrentActor, token: FromPath[str]
) -> Response[Any] | Template:
    return await _cancel(Caller(request, db, actor), lambda: _tracked(db, token), f"/t/{token}")


@post(MY_ORDERS + "/{order_id:int}/cancel", guards=[customer_account])
async def cancel_own_order(
    request: AnyRequest, db: AppDb, actor: CurrentActor, order_id: FromPath[int]
) -> Response[Any] | Template:
    load = lambda: _own(db, actor, order_id)  # noqa: E731 - read again after a refusal
    return await _cancel(Caller(request, db, actor), load, f"{MY_ORDERS}/{order_id}")


ROUTES = [tracking_page, own_order_page, cancel_from_tracking, cancel_own_order]
