"""Catalog pages: the list with search, the product form, archive, photo."""

from __future__ import annotations

from typing import Any, NamedTuple

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web import forms as auth_forms
from backend.auth.web.guards import PUBLIC, requires
from backend.catalog import listing, photos, rules, service
from backend.catalog.categories import CategoryCache
from backend.catalog.rules import ProductRejected
from backend.catalog.web.dependencies import Categories, ShopCurrency, ShopProfile, StockColumn
from backend.catalog.web.forms import FIELD_LABELS, ProductForm, differences
from backend.i18n.translation import current_locale, gettext
from backend.kernel.db import Database
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.input_guard import optional_id
from backend.web.responses import FormErrors, body_limit, page, see_other

AnyRequest = Request[Any, Any, Any]
view_catalog = requires(Permission.CATALOG_VIEW)
edit_catalog = requires(Permission.CATALOG_EDIT)


@get("/catalog", guards=[view_catalog])
async def catalog_page(
    request: AnyRequest,
    db: AppDb,
    categories: Categories,
    stock_column: StockColumn,
    *,
    q: FromQuery[str] = "",
    category: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
    archived: FromQuery[str] = "",
) -> Template:
    # The filter form and the "Show more" link send empty fields ("All categories", unticked).
    category_id = optional_id(category, "category")
    include_archived = archived == "true"
    try:
        after_name, after_id = listing.decode_cursor(cursor)
    except ValueError:
        after_name, after_id = None, None
    query = listing.ProductQuery(q, category_id, include_archived, after_name, after_id, stock=stock_column)
    async with db.read() as session:
        products = await listing.list_products(session, query)
        known = await categories.all(session)
    context = {
        "listing": products,
        "categories": known,
        "q": q,
        "category": category_id,
        "archived": include_archived,
        "more_only": cursor is not None,
    }
    if stock_column is not None:  # the rows show it only when there is one
        context["stock"] = products.available
    return page(request, "catalog/list.html", context, fragment="catalog/_rows.html")


class Editor(NamedTuple):
    """A request to the product form, with what answering it takes."""

    request: AnyRequest
    db: Database
    categories: CategoryCache
    shop: ShopProfile


async def _form_page(
    editor: Editor,
    form: ProductForm,
    *,
    product: service.ProductView | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    conflict: list[tuple[str, str, str]] | None = None,
) -> Template:
    request, db, categories, shop = editor
    async with db.read() as session:
        known = await categories.all(session)
    context = {
        "form": form,
        "product": product,
        "categories": known,
        "field_labels": FIELD_LABELS,
        "errors": errors or FormErrors(),
        "conflict": conflict,
        "currencies": rules.currency_options(
            shop.currency, current_locale.get(), form.values.get("currency", "")
        ),
        "saved": request.query_params.get("saved") == "true",
    }
    return page(request, "catalog/edit.html", context, status_code=status)


@get("/catalog/new", guards=[edit_catalog])
async def new_product_page(
    request: AnyRequest, db: AppDb, categories: Categories, shop: ShopCurrency
) -> Template:
    form = ProductForm(values={"currency": shop.currency, "tax_rate": "20"})
    return await _form_page(Editor(request, db, categories, shop), form)


async def _product(db: Database, product_id: int) -> service.ProductView:
    try:
        async with db.read() as session:
            return await service.get_product(session, product_id)
    except service.ProductNotFound:
        raise NotFoundException() from None


def _add_problems(errors: FormErrors, exc: ProductRejected) -> None:
    for name, code in exc.problems.items():
        errors.add(name, gettext(rules.MESSAGES[code]))


@post("/catalog/new", guards=[edit_catalog])
async def create_product(
    request: AnyRequest, db: AppDb, categories: Categories, shop: ShopCurrency, principal: CurrentPrincipal
) -> Response[Any] | Template:
    editor = Editor(request, db, categories, shop)
    form = ProductForm.read(await request.form(), shop.currency)
    errors = FormErrors()
    wanted = form.product(errors)
    if wanted is None:
        return await _form_page(editor, form, errors=errors, status=400)
    try:
        view = await service.create_product(db, principal.user_id, wanted)
    except ProductRejected as exc:
        _add_problems(errors, exc)
        return await _form_page(
            editor, form, errors=errors, status=409 if "sku_taken" in exc.problems.values() else 400
        )
    return see_other(f"/catalog/{view.id}?saved=true")


@get("/catalog/{product_id:int}", guards=[view_catalog])
async def product_page(
    request: AnyRequest, db: AppDb, categories: Categories, shop: ShopCurrency, product_id: FromPath[int]
) -> Template:
    product = await _product(db, product_id)
    return await _form_page(Editor(request, db, categories, shop), ProductForm.of(product), product=product)


@post("/catalog/{product_id:int}", guards=[edit_catalog])
async def update_product(
    request: AnyRequest,
    product_id: FromPath[int],
    *,
    db: AppDb,
    categories: Categories,
    shop: ShopCurrency,
    principal: CurrentPrincipal,
) -> Response[Any] | Template:
    editor = Editor(request, db, categories, shop)
    raw = await request.form()
    current = await _product(db, product_id)
    form = ProductForm.read(raw, current.currency)
    errors = FormErrors()
    expected = auth_forms.version(raw, errors)
    wanted = form.product(errors)
    if expected is None and not errors.general:
        errors.add(None, auth_forms.message("bad_version"))
    if wanted is None or expected is None:
        return await _form_page(editor, form, product=current, errors=errors, status=400)
    try:
        await service.update_product(db, principal.user_id, product_id, wanted, expected)
    except service.ProductConflict as exc:
        # Show both versions; the form now carries the current version so "save mine" wins knowingly.
        errors.add(None, auth_forms.message("version_conflict"))
        conflict = differences(ProductForm.of(exc.current), form)
        return await _form_page(
            editor, form, product=exc.current, errors=errors, status=409, conflict=conflict
        )
    except ProductRejected as exc:
        _add_problems(errors, exc)
        return await _form_page(editor, form, product=current, errors=errors, status=400)
    return see_other(f"/catalog/{product_id}?saved=true")


@post("/catalog/{product_id:int}/photo", guards=[edit_catalog])
async def upload_photo(
    request: AnyRequest,
    product_id: FromPath[int],
    *,
    db: AppDb,
    categories: Categories,
    shop: ShopCurrency,
    principal: CurrentPrincipal,
) -> Response[Any] | Template:
    upload = (await request.form()).get("photo")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        await photos.store_photo(db, principal.user_id, product_id, content)
    except photos.PhotoRejected as exc:
        if exc.code == "not_found":
            raise NotFoundException() from None
        current = await _product(db, product_id)
        errors = FormErrors()
        limits = {"size": body_limit(request), "megapixels": photos.MAX_MEGAPIXELS}
        errors.add("photo", gettext(rules.MESSAGES[exc.code], **limits))
        editor = Editor(request, db, categories, shop)
        return await _form_page(editor, ProductForm.of(current), product=current, errors=errors, status=400)
    return see_other(f"/catalog/{product_id}?saved=true")


# Pages link photos with the product's version in the address (?v=), which a new photo changes.
PHOTO_CACHING = "public, max-age=31536000, immutable"


@get("/media/products/{product_id:int}", opt=PUBLIC, include_in_schema=False)
async def product_photo(request: AnyRequest, db: AppDb, product_id: FromPath[int]) -> Response[bytes]:
    photo = await photos.load_photo(db, product_id)
    if photo is None:
        raise NotFoundException()
    etag = f'"{photo.etag}"'
    headers = {"ETag": etag, "Cache-Control": PHOTO_CACHING}
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(photo.content, media_type=photo.media_type, headers=headers)


@get("/media/products/{product_id:int}/small", opt=PUBLIC, include_in_schema=False)
async def small_product_photo(request: AnyRequest, db: AppDb, product_id: FromPath[int]) -> Response[bytes]:
    """The photo as a small square for lists; cached for good, as its address changes with it."""
    seen = request.headers.get("if-none-match", "").strip('"').removesuffix("-small") or None
    rendition = await photos.load_small(db, product_id, seen)
    if rendition is None:
        raise NotFoundException()
    headers = {"ETag": f'"{rendition.etag}-small"', "Cache-Control": PHOTO_CACHING}
    if rendition.etag == seen:
        return Response(b"", status_code=304, headers=headers)
    return Response(rendition.content, media_type=rendition.media_type, headers=headers)


ROUTES = [
    catalog_page,
    new_product_page,
    create_product,
    product_page,
    update_product,
    upload_photo,
    product_photo,
    small_product_photo,
]
