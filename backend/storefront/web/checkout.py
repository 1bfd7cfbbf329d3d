"""Checkout: what the cart holds becomes an order, and the shopper lands on its tracking page
(``tracking_routes``)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from backend.auth.rules import Role
from backend.auth.web.guards import PUBLIC
from backend.orders.drafts import OrderRejected
from backend.orders.errors import OutOfStock
from backend.orders.rules import Actor
from backend.orders.service import place_order
from backend.orders.web.form_fields import short_lines_errors
from backend.storefront import offer
from backend.storefront.cart import Cart
from backend.storefront.web import checkout_form as checkout
from backend.storefront.web.checkout_form import CheckoutForm
from backend.storefront.web.pages import cart_cookie, current_cart
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]


def shopper(request: AnyRequest) -> Actor:
    """Who is shopping: a signed-in account, or an anonymous visitor."""
    principal = request.scope.get("user")
    if principal is None:
        return Actor(None)
    return Actor(principal.user_id, principal.permissions, is_customer=principal.role == Role.CUSTOMER)


def _prefilled(request: AnyRequest) -> CheckoutForm:
    principal = request.scope.get("user")
    form = CheckoutForm()
    if principal is not None and principal.role == Role.CUSTOMER:
        form.values.update(name=principal.name, email=principal.email)
    return form


async def _checkout_page(
    request: AnyRequest, form: CheckoutForm, errors: FormErrors | None = None, status: int = 200
) -> Response[Any] | Template:
    state = request.app.state
    priced = await offer.priced(state.offer, state.db, current_cart(request))
    pickup_points = await state.offer.pickup_points(state.db)
    if not priced.lines:
        return see_other("/shop/cart")
    context = {
        "form": form,
        "errors": errors or FormErrors(),
        "priced": priced,
        "pickup_points": pickup_points,
        "modes": [
            (m.value, "") for m in checkout.MODES if m != checkout.FulfilmentMode.PICKUP or pickup_points
        ],
        "mode_labels": checkout.MODE_LABELS,
        "payments": checkout.PAYMENT_CHOICES,
        "payment_labels": checkout.PAYMENT_LABELS,
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: a corrected form is a new request
    }
    return page(request, "storefront/checkout.html", context, status_code=status)


@get("/shop/checkout", opt=PUBLIC)
async def checkout_page(request: AnyRequest) -> Response[Any] | Template:
    return await _checkout_page(request, _prefilled(request))


@post("/shop/checkout", opt=PUBLIC)
async def place_from_checkout(request: AnyRequest) -> Response[Any] | Template:
    form = CheckoutForm.read(await request.form())
    state = request.app.state
    priced = await offer.priced(state.offer, state.db, current_cart(request))
    pickup_codes = {place.code for place in await state.offer.pickup_points(state.db)}
    if not priced.lines:
        return see_other("/shop/cart")
    draft = checkout.draft_of(form, priced, pickup_codes)
    try:
        if isinstance(draft, dict):
            raise OrderRejected(draft)
        placed = await place_order(request.app.state.db, shopper(request), draft)
    except OrderRejected as exc:
        fields, general = checkout.field_problems(exc.problems)
        return await _checkout_page(request, form, FormErrors(fields, general), 400)
    except OutOfStock as exc:
        return await _checkout_page(request, form, short_lines_errors(exc), 409)
    answer = see_other(f"/t/{placed.tracking_token}?placed=1")
    answer.cookies.append(cart_cookie(request, Cart()))
    return answer


ROUTES = [checkout_page, place_from_checkout]
