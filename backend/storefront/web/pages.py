"""The public shop: browse, fill a cart, check out. No account needed."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.web.guards import PUBLIC
from backend.catalog import listing
from backend.catalog.categories import CategoryItem
from backend.i18n.translation import N_, gettext
from backend.storefront import cart as carts
from backend.storefront import offer
from backend.storefront.cart import Cart, CartRejected
from backend.storefront.web.cards import AVAILABILITY_LABELS, card
from backend.web import inputs
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


def current_cart(request: AnyRequest) -> Cart:
    return carts.decode(request.cookies.get(carts.COOKIE_NAME), request.app.state.settings.secret_key)


def cart_cookie(request: AnyRequest, cart: Cart) -> Cookie:
    settings = request.app.state.settings
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
    state = request.app.state
    offered = await offer.offer_page(state.offer, state.db, query)
    categories = () if is_htmx(request) else await _categories(request)  # a fragment has no list
    context = {
        "offer": offered,
        "cards": [card(state.site.templates, item) for item in offered.items],
        "categories": categories,
        "q": q,
        "category": category_id,
        "cart": current_cart(request),
        "labels": AVAILABILITY_LABELS,
        "more_only": cursor is not None,
    }
    return page(request, "storefront/shop.html", context, fragment="storefront/_cards.html")


async def _categories(request: AnyRequest) -> tuple[CategoryItem, ...]:
    state = request.app.state
    if (known := state.categories.fresh()) is not None:
        return known  # type: ignore[no-any-return]
    async with state.db.read() as session:  # a session costs even when it reads nothing
        return await state.categories.all(session)  # type: ignore[no-any-return]


@get("/shop/products/{product_id:int}", opt=PUBLIC)
async def product_page(request: AnyRequest, product_id: FromPath[int]) -> Template:
    """One product for sale, with its photo; 404 for a product that is not sold."""
    state = request.app.state
    product = (await state.offer.products(state.db, [product_id])).get(product_id)
    if product is None:
        raise NotFoundException()
    available = (await state.offer.available(state.db, [product_id])).get(product_id, 0)
    context = {
        "product": product,
        "availability": offer.availability(available, product.allow_backorder),
        "labels": AVAILABILITY_LABELS,
        "cart": current_cart(request),
    }
    return page(request, "storefront/product.html", context)


def _whole(raw: object, default: int | None = None) -> int | None:
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return default
    return inputs.parse_number(text)


async def _checked(request: AnyRequest, cart: Cart, product_id: int, quantity: int) -> Cart:
    """``cart`` with the line set, refused when the product is not sold or not in stock."""
    changed = carts.set_quantity(cart, product_id, quantity)
    if quantity == 0:
        return changed
    state = request.app.state
    priced = await offer.priced(state.offer, state.db, Cart(((product_id, quantity),)))
    others = await offer.priced(state.offer, state.db, carts.without(cart, {product_id}))
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
async def add_to_cart(request: AnyRequest) -> Response[Any] | Template:
    form = await request.form()
    product_id, quantity = _whole(form.get("product_id")), _whole(form.get("quantity"), 1)
    cart = current_cart(request)
    try:
        if not product_id or quantity is None or quantity < 1:
            raise CartRejected("bad_form")
        wanted = cart.quantity_of(product_id) + quantity
        if wanted > carts.MAX_QUANTITY:
            raise CartRejected("quantity_out_of_range", maximum=carts.MAX_QUANTITY)
        cart = await _checked(request, cart, product_id, wanted)
    except CartRejected as exc:
        if not is_htmx(request):
            return await _cart_page(request, cart, FormErrors(general=[cart_message(exc)]), 422)
        return _cart_answer(request, cart, cart_message(exc), 422)
    answer = _cart_answer(request, cart, gettext(N_("Added to your cart.")))
    answer.cookies.append(cart_cookie(request, cart))
    return answer


async def _cart_page(
    request: AnyRequest, cart: Cart, errors: FormErrors | None = None, status: int = 200
) -> Template:
    priced = await offer.priced(request.app.state.offer, request.app.state.db, cart)
    context = {
        "priced": priced,
        "cart": cart,
        "errors": errors or FormErrors(),
        "labels": AVAILABILITY_LABELS,
    }
    return page(request, "storefront/cart.html", context, status_code=status)


@get("/shop/cart", opt=PUBLIC)
async def cart_page(request: AnyRequest) -> Template:
    return await _cart_page(request, current_cart(request))


@post("/shop/cart/{product_id:int}", opt=PUBLIC)
async def change_cart_line(request: AnyRequest, product_id: FromPath[int]) -> Response[Any] | Template:
    form = await request.form()
    quantity = 0 if form.get("remove") else _whole(form.get("quantity"))
    cart = current_cart(request)
    try:
        if quantity is None:
            raise CartRejected("quantity_out_of_range", maximum=carts.MAX_QUANTITY)
        cart = await _checked(request, cart, product_id, quantity)
    except CartRejected as exc:
        return await _cart_page(request, cart, FormErrors(general=[cart_message(exc)]), 422)
    answer = see_other("/shop/cart")
    answer.cookies.append(cart_cookie(request, cart))
    return answer


ROUTES = [shop_page, product_page, add_to_cart, cart_page, change_cart_line]
