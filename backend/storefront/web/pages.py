"""The public shop: browse, fill a cart, check out. No account needed."""

from __future__ import annotations

from typing import Any, NamedTuple

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.web.guards import PUBLIC
from backend.catalog import listing
from backend.catalog.categories import CategoryCache, CategoryItem
from backend.catalog.web.dependencies import Categories
from backend.i18n.translation import N_, gettext
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from backend.storefront import cart as carts
from backend.storefront import offer as offers
from backend.storefront.cart import Cart, CartRejected
from backend.storefront.offer_cache import OfferCache
from backend.storefront.web.cards import AVAILABILITY_LABELS, card
from backend.storefront.web.dependencies import Offer
from backend.web import inputs
from backend.web.dependencies import AppDb, AppSettings, Templates
from backend.web.input_guard import optional_id
from backend.web.responses import FormErrors, is_htmx, page, see_other

AnyRequest = Request[Any, Any, Any]
PAGE_SIZE = 24  # three screens of a phone; "Show more" loads the next

# Staff reach the shop from "Menu"; for a customer it is the app's main destination.

CART_MESSAGES = {
    "quantity_out_of_range": N_("Choose a quantity between 0 and %(maximum)s."),
    "too_many_lines": N_("A cart holds at most %(maximum)s different products."),
    "not_sold": N_("This product is not sold any more."),
    "not_enough": N_("Only %(available)s left of %(name)s."),
    "other_currency": N_("Your cart holds products priced in %(currency)s; this one is not."),
    "bad_form": N_("Choose a product and a quantity."),
}


def cart_message(exc: CartRejected) -> str:
    return gettext(CART_MESSAGES[exc.code]) % exc.details


def current_cart(request: AnyRequest, settings: Settings) -> Cart:
    return carts.decode(request.cookies.get(carts.COOKIE_NAME), settings.secret_key)


def cart_cookie(settings: Settings, cart: Cart) -> Cookie:
    return Cookie(
        key=carts.COOKIE_NAME,
        value=carts.encode(cart, settings.secret_key) if cart.lines else "",
        path="/shop",
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
        max_age=carts.COOKIE_MAX_AGE if cart.lines else 0,
    )


@get("/shop", opt=PUBLIC)
async def shop_page(
    request: AnyRequest,
    *,
    db: AppDb,
    settings: AppSettings,
    offer: Offer,
    categories: Categories,
    templates: Templates,
    q: FromQuery[str] = "",
    category: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Template:
    category_id = optional_id(category, "category")  # "All categories" sends ""
    try:
        after_name, after_id = listing.decode_cursor(cursor)
    except ValueError:
        after_name, after_id = None, None
    query = listing.ProductQuery(q[:100], category_id, False, after_name, after_id, PAGE_SIZE)
    offered = await offers.offer_page(offer, db, query)
    known = () if is_htmx(request) else await _categories(db, categories)  # a fragment has no list
    context = {
        "offer": offered,
        "cards": [card(templates, item) for item in offered.items],
        "categories": known,
        "q": q,
        "category": category_id,
        "cart": current_cart(request, settings),
        "labels": AVAILABILITY_LABELS,
        "more_only": cursor is not None,
    }
    return page(request, "storefront/shop.html", context, fragment="storefront/_cards.html")


async def _categories(db: Database, categories: CategoryCache) -> tuple[CategoryItem, ...]:
    if (known := categories.fresh()) is not None:
        return known
    async with db.read() as session:  # a session costs even when it reads nothing
        return await categories.all(session)


@get("/shop/products/{product_id:int}", opt=PUBLIC)
async def product_page(
    request: AnyRequest, db: AppDb, settings: AppSettings, offer: Offer, product_id: FromPath[int]
) -> Template:
    """One product for sale, with its photo; 404 for a product that is not sold."""
    product = (await offer.products(db, [product_id])).get(product_id)
    if product is None:
        raise NotFoundException()
    available = (await offer.available(db, [product_id])).get(product_id, 0)
    context = {
        "product": product,
        "availability": offers.availability(available, product.allow_backorder),
        "labels": AVAILABILITY_LABELS,
        "cart": current_cart(request, settings),
    }
    return page(request, "storefront/product.html", context)


def _whole(raw: object, default: int | None = None) -> int | None:
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return default
    return inputs.parse_number(text)


class Shopper(NamedTuple):
    """A request to the cart, with what answering it takes."""

    request: AnyRequest
    db: Database
    settings: Settings
    offer: OfferCache


async def _checked(shopper: Shopper, cart: Cart, product_id: int, quantity: int) -> Cart:
    """``cart`` with the line set, refused when the product is not sold or not in stock."""
    changed = carts.set_quantity(cart, product_id, quantity)
    if quantity == 0:
        return changed
    priced = await offers.priced(shopper.offer, shopper.db, Cart(((product_id, quantity),)))
    others = await offers.priced(shopper.offer, shopper.db, carts.without(cart, {product_id}))
    if not priced.lines:
        raise CartRejected("not_sold")
    line = priced.lines[0]
    if others.currency and others.currency != line.currency:
        raise CartRejected("other_currency", currency=others.currency)
    if line.short:
        raise CartRejected("not_enough", available=max(line.available, 0), name=line.name)
    return changed


def _cart_answer(request: AnyRequest, cart: Cart, notice: str, status: int = 200) -> Response[Any] | Template:
    if is_htmx(request):
        context = {"cart": cart, "notice": notice, "failed": status >= 400}
        return Template("storefront/_cart_bar.html", context=context, status_code=status)
    return see_other("/shop/cart")


@post("/shop/cart", opt=PUBLIC)
async def add_to_cart(
    request: AnyRequest, db: AppDb, settings: AppSettings, offer: Offer
) -> Response[Any] | Template:
    shopper = Shopper(request, db, settings, offer)
    form = await request.form()
    product_id, quantity = _whole(form.get("product_id")), _whole(form.get("quantity"), 1)
    cart = current_cart(request, settings)
    try:
        if not product_id or quantity is None or quantity < 1:
            raise CartRejected("bad_form")
        wanted = cart.quantity_of(product_id) + quantity
        if wanted > carts.MAX_QUANTITY:
            raise CartRejected("quantity_out_of_range", maximum=carts.MAX_QUANTITY)
        cart = await _checked(shopper, cart, product_id, wanted)
    except CartRejected as exc:
        if not is_htmx(request):
            return await cart_page_of(shopper, cart, FormErrors(general=[cart_message(exc)]), 422)
        return _cart_answer(request, cart, cart_message(exc), 422)
    answer = _cart_answer(request, cart, gettext(N_("Added to your cart.")))
    answer.cookies.append(cart_cookie(settings, cart))
    return answer


async def cart_page_of(
    shopper: Shopper,
    cart: Cart,
    errors: FormErrors | None = None,
    status: int = 200,
    *,
    notices: list[str] | None = None,
) -> Template:
    """The cart page; ``notices`` tell what was just done to it (an order put in again)."""
    priced = await offers.priced(shopper.offer, shopper.db, cart)
    context = {
        "priced": priced,
        "cart": cart,
        "errors": errors or FormErrors(),
        "notices": notices or [],
        "labels": AVAILABILITY_LABELS,
    }
    return page(shopper.request, "storefront/cart.html", context, status_code=status)


@get("/shop/cart", opt=PUBLIC)
async def cart_page(request: AnyRequest, db: AppDb, settings: AppSettings, offer: Offer) -> Template:
    return await cart_page_of(Shopper(request, db, settings, offer), current_cart(request, settings))


@post("/shop/cart/{product_id:int}", opt=PUBLIC)
async def change_cart_line(
    request: AnyRequest, db: AppDb, settings: AppSettings, offer: Offer, product_id: FromPath[int]
) -> Response[Any] | Template:
    shopper = Shopper(request, db, settings, offer)
    form = await request.form()
    quantity = 0 if form.get("remove") else _whole(form.get("quantity"))
    cart = current_cart(request, settings)
    try:
        if quantity is None:
            raise CartRejected("quantity_out_of_range", maximum=carts.MAX_QUANTITY)
        cart = await _checked(shopper, cart, product_id, quantity)
    except CartRejected as exc:
        return await cart_page_of(shopper, cart, FormErrors(general=[cart_message(exc)]), 422)
    answer = see_other("/shop/cart")
    answer.cookies.append(cart_cookie(settings, cart))
    return answer


ROUTES = [shop_page, product_page, add_to_cart, cart_page, change_cart_line]
