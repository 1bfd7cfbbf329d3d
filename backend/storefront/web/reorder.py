"""Ordering again in one tap, from "My orders": the order's lines go into the cart at today's
prices, as many of each as can be had, and the cart says what could not be."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.auth.web.guards import customer_account
from backend.i18n.translation import N_, gettext, ngettext
from backend.orders.web.dependencies import CurrentActor
from backend.storefront import my_orders
from backend.storefront import offer as offers
from backend.storefront.cart import Cart
from backend.storefront.web.dependencies import Offer
from backend.storefront.web.pages import Shopper, cart_cookie, cart_page_of, current_cart
from backend.web.dependencies import AppDb, AppSettings

AnyRequest = Request[Any, Any, Any]


def _said(missing: my_orders.Missing) -> str:
    if missing.added:
        return ngettext(
            "%(name)s: only %(num)d could be added.",
            "%(name)s: only %(num)d could be added.",
            missing.added,
            name=missing.name,
        )
    return gettext(N_("%(name)s is not available any more."), name=missing.name)


@post("/my/orders/{order_id:int}/reorder", guards=[customer_account])
async def reorder(
    request: AnyRequest,
    *,
    db: AppDb,
    settings: AppSettings,
    offer: Offer,
    actor: CurrentActor,
    order_id: FromPath[int],
) -> Template:
    async with db.read() as session:
        ordered = await my_orders.lines_of(session, order_id, actor.user_id)
    if ordered is None:
        raise NotFoundException(N_("You have no order with this number."))
    cart = current_cart(request, settings)
    today = await offers.priced(offer, db, Cart(tuple((line.product_id, line.quantity) for line in ordered)))
    already = await offers.priced(offer, db, cart)
    cart, missing = my_orders.reorder(cart, ordered, today, already.currency)
    notices = [_said(item) for item in missing]
    if not missing:
        notices = [gettext(N_("Everything from that order is in your cart, at today's prices."))]
    answer = await cart_page_of(Shopper(request, db, settings, offer), cart, notices=notices)
    answer.cookies.append(cart_cookie(settings, cart))
    return answer


ROUTES = [reorder]
