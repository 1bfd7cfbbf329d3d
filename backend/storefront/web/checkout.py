"""Checkout: what the cart holds becomes an order, and the shopper lands on its tracking page
(``tracking_routes``)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from backend.auth.rules import Role
from backend.auth.web.guards import PUBLIC
from backend.kernel.db import Database, utcnow
from backend.orders.drafts import OrderRejected
from backend.orders.errors import OutOfStock
from backend.orders.service import place_order
from backend.orders.web.dependencies import CurrentActor
from backend.orders.web.form_fields import short_lines_errors, slot_days
from backend.storefront import my_orders
from backend.storefront import offer as offers
from backend.storefront.cart import Cart
from backend.storefront.web import checkout_form as checkout
from backend.storefront.web.checkout_form import CheckoutForm
from backend.storefront.web.dependencies import Offer
from backend.storefront.web.pages import cart_cookie, current_cart
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]


async def _prefilled(request: AnyRequest, db: Database) -> tuple[CheckoutForm, list[my_orders.SavedAddress]]:
    """A signed-in customer's name, e-mail, phone and address as their last order had them (or the
    saved address they picked, ``?address=<id>``), and the other addresses they used."""
    principal = request.scope.get("user")
    form = CheckoutForm()
    if principal is None or principal.role != Role.CUSTOMER:
        return form, []
    form.values.update(name=principal.name, email=principal.email)
    async with db.read() as session:
        saved = await my_orders.saved_details(session, principal.user_id)
    picked = request.query_params.get("address", "")
    chosen = next(
        (a for a in saved.addresses if str(a.id) == picked), saved.addresses[0] if saved.addresses else None
    )
    if saved.phone:
        form.values["phone"] = saved.phone
    if chosen is not None:
        address = {"line1": chosen.line1, "postal_code": chosen.postal_code, "city": chosen.city}
        form.values.update(address, country=chosen.country)
    return form, saved.addresses


async def _checkout_page(
    request: AnyRequest,
    basket: offers.Basket,
    form: CheckoutForm,
    errors: FormErrors | None = None,
    status: int = 200,
    *,
    addresses: list[my_orders.SavedAddress] | None = None,
) -> Response[Any] | Template:
    priced, pickup_points = basket
    if not priced.lines:
        return see_other("/shop/cart")
    context = {
        "form": form,
        "addresses": addresses or [],
        "errors": errors or FormErrors(),
        "priced": priced,
        "pickup_points": pickup_points,
        "modes": [
            (m.value, "") for m in checkout.MODES if m != checkout.FulfilmentMode.PICKUP or pickup_points
        ],
        "mode_labels": checkout.MODE_LABELS,
        "payments": checkout.PAYMENT_CHOICES,
        "payment_labels": checkout.PAYMENT_LABELS,
        "slot_days": slot_days(utcnow()),
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: a corrected form is a new request
    }
    return page(request, "storefront/checkout.html", context, status_code=status)


@get("/shop/checkout", opt=PUBLIC)
async def checkout_page(
    request: AnyRequest, db: AppDb, settings: AppSettings, offer: Offer
) -> Response[Any] | Template:
    basket = await offers.basket(offer, db, current_cart(request, settings))
    form, addresses = await _prefilled(request, db)
    return await _checkout_page(request, basket, form, addresses=addresses)


@post("/shop/checkout", opt=PUBLIC)
async def place_from_checkout(
    request: AnyRequest, db: AppDb, settings: AppSettings, offer: Offer, actor: CurrentActor
) -> Response[Any] | Template:
    form = CheckoutForm.read(await request.form())
    basket = await offers.basket(offer, db, current_cart(request, settings))
    priced, pickup_points = basket
    if not priced.lines:
        return see_other("/shop/cart")
    draft = checkout.draft_of(form, priced, {place.code for place in pickup_points}, utcnow())
    try:
        if isinstance(draft, dict):
            raise OrderRejected(draft)
        placed = await place_order(db, actor, draft)
    except OrderRejected as exc:
        fields, general = checkout.field_problems(exc.problems)
        return await _checkout_page(request, basket, form, FormErrors(fields, general), 400)
    except OutOfStock as exc:
        return await _checkout_page(request, basket, form, short_lines_errors(exc), 409)
    answer = see_other(f"/t/{placed.tracking_token}?placed=1")
    answer.cookies.append(cart_cookie(settings, Cart()))
    return answer


ROUTES = [checkout_page, place_from_checkout]
