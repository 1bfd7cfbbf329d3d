"""The tracking page a shopper lands on after checkout, and calling the order off from it."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth import forms as auth_forms
from backend.auth.guards import PUBLIC, signed_in
from backend.i18n import N_, gettext
from backend.orders.drafts import OrderRejected
from backend.orders.errors import OrderForbidden, OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.rules import MESSAGES
from backend.orders.service import cancel_order
from backend.storefront import tracking
from backend.storefront.checkout_routes import shopper
from backend.web import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]

TOO_LATE = N_(
    "The shop has started on your order: it can no longer be cancelled here. Please contact the shop."
)
CHANGED = N_("Your order changed in the meantime: nothing was done. Here it is as it is now.")


async def _tracked(request: AnyRequest, token: str) -> tracking.Tracked:
    async with request.app.state.db.read() as session:
        order = await tracking.tracked_order(session, token)
    if order is None:
        raise NotFoundException(N_("No order has this tracking link."))
    return order


async def _tracking_page(
    request: AnyRequest,
    token: str,
    *,
    placed: bool = False,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Template:
    order = await _tracked(request, token)
    path = f"/t/{token}"
    context = {
        "order": order,
        "placed": placed,
        "path": path,
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
    return await _tracking_page(request, token, placed=placed)


Refusal = OrderForbidden | OrderRejected | StaleOrder | TransitionRefused


def _refused(exc: Refusal) -> tuple[FormErrors, int]:
    if isinstance(exc, OrderRejected):  # the reason: missing or too long
        code = next(iter(exc.problems.values()))
        return FormErrors({"reason": gettext(MESSAGES.get(code, code))}), 400
    if isinstance(exc, StaleOrder):
        return FormErrors(general=[gettext(CHANGED)]), 409
    # Their own order, which customers may no longer call off: the shop has started on it.
    return FormErrors(general=[gettext(TOO_LATE)]), 409


@post("/t/{token:str}/cancel", guards=[signed_in])
async def cancel_from_tracking(request: AnyRequest, token: FromPath[str]) -> Response[Any] | Template:
    """The customer calls their own order off, with a reason, until the shop accepts it."""
    form = await request.form()
    order, actor = await _tracked(request, token), shopper(request)
    version = auth_forms.version(form, FormErrors())
    if version is None:
        errors = FormErrors(general=[auth_forms.message("bad_version")])
        return await _tracking_page(request, token, errors=errors, status=400)
    reason = auth_forms.text(form, "reason", 1000)
    try:
        await cancel_order(request.app.state.db, actor, order.id, reason, version=version)
    except OrderNotFound:
        raise NotFoundException(N_("No order has this tracking link.")) from None
    except (OrderForbidden, OrderRejected, StaleOrder, TransitionRefused) as exc:
        if isinstance(exc, OrderForbidden) and not tracking.is_own(order, actor):
            raise PermissionDeniedException(N_("You are not allowed to do that")) from None
        errors, status = _refused(exc)
        return await _tracking_page(request, token, errors=errors, status=status)
    return see_other(f"/t/{token}")


ROUTES = [tracking_page, cancel_from_tracking]
