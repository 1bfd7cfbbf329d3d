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
from backend.auth.web.guards import PUBLIC, customer_account, principal_of, signed_in
from backend.i18n.translation import N_, gettext
from backend.orders.drafts import OrderRejected
from backend.orders.errors import OrderForbidden, OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.rules import MESSAGES
from backend.orders.service import cancel_order
from backend.storefront import tracking
from backend.storefront.web.checkout import shopper
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]

TOO_LATE = N_(
    "The shop has started on your order: it can no longer be cancelled here. Please contact the shop."
)
MY_ORDERS = "/my/orders"
CHANGED = N_("Your order changed in the meantime: nothing was done. Here it is as it is now.")


async def _tracked(request: AnyRequest, token: str) -> tracking.Tracked:
    async with request.app.state.db.read() as session:
        order = await tracking.tracked_order(session, token)
    if order is None:
        raise NotFoundException(N_("No order has this tracking link."))
    return order


async def _own(request: AnyRequest, order_id: int) -> tracking.Tracked:
    async with request.app.state.db.read() as session:
        order = await tracking.own_order(session, order_id, principal_of(request).user_id)
    if order is None:
        raise NotFoundException(N_("You have no order with this number."))
    return order


async def _tracking_page(
    request: AnyRequest,
    order: tracking.Tracked,
    path: str,
    *,
    placed: bool = False,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Template:
    context = {
        "order": order,
        "placed": placed,
        "path": path,
        # Reached from "My orders", the page follows the order over the account's own socket.
        "by_account": path.startswith(MY_ORDERS),
        "tracking_url": str(request.url.with_replacements(path=path, query="")),
        "status_labels": tracking.STATUS_LABELS,
        "step_labels": tracking.STEP_LABELS,
        "may_cancel": tracking.may_cancel(order, shopper(request)),
        "errors": errors or FormErrors(),
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: a corrected form is a new request
    }
    headers = {"Cache-Control": "no-store"}
    return page(request, "storefront/track.html", context, status_code=status, headers=headers)


@get("/t/{token:str}", opt=PUBLIC)
async def tracking_page(
    request: AnyRequest, token: FromPath[str], placed: FromQuery[bool] = False
) -> Template:
    return await _tracking_page(request, await _tracked(request, token), f"/t/{token}", placed=placed)


@get(MY_ORDERS + "/{order_id:int}", guards=[customer_account])
async def own_order_page(request: AnyRequest, order_id: FromPath[int]) -> Template:
    """The tracking page of one of the signed-in customer's orders, found from "My orders": the
    link with its token was shown once, at checkout, and only its hash is kept."""
    return await _tracking_page(request, await _own(request, order_id), f"{MY_ORDERS}/{order_id}")


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


async def _cancel(request: AnyRequest, load: Load, path: str) -> Response[Any] | Template:
    """The customer calls their own order off, with a reason, until the shop accepts it."""
    form = await request.form()
    order, actor = await load(), shopper(request)
    version = auth_forms.version(form, FormErrors())
    if version is None:
        errors = FormErrors(general=[auth_forms.message("bad_version")])
        return await _tracking_page(request, order, path, errors=errors, status=400)
    reason = auth_forms.text(form, "reason", 1000)
    try:
        await cancel_order(request.app.state.db, actor, order.id, reason, version=version)
    except OrderNotFound:
        raise NotFoundException(N_("No order has this tracking link.")) from None
    except (OrderForbidden, OrderRejected, StaleOrder, TransitionRefused) as exc:
        if isinstance(exc, OrderForbidden) and not tracking.is_own(order, actor):
            raise PermissionDeniedException(N_("You are not allowed to do that")) from None
        errors, status = _refused(exc)
        return await _tracking_page(request, await load(), path, errors=errors, status=status)
    return see_other(path)


@post("/t/{token:str}/cancel", guards=[signed_in])
async def cancel_from_tracking(request: AnyRequest, token: FromPath[str]) -> Response[Any] | Template:
    return await _cancel(request, lambda: _tracked(request, token), f"/t/{token}")


@post(MY_ORDERS + "/{order_id:int}/cancel", guards=[customer_account])
async def cancel_own_order(request: AnyRequest, order_id: FromPath[int]) -> Response[Any] | Template:
    return await _cancel(request, lambda: _own(request, order_id), f"{MY_ORDERS}/{order_id}")


ROUTES = [tracking_page, own_order_page, cancel_from_tracking, cancel_own_order]
