"""Catalog endpoints of the JSON API."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery, QueryParameter

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.catalog import listing, rules, service
from backend.catalog.rules import ProductInput, ProductRejected
from backend.catalog.web.schemas import (
    PRODUCT_EXAMPLE,
    PRODUCT_IN_EXAMPLE,
    PRODUCT_LIST_EXAMPLE,
    PRODUCT_PATCH_EXAMPLE,
    ProductIn,
    ProductList,
    ProductOut,
    ProductPatch,
)
from backend.i18n.translation import gettext
from backend.kernel.db import Database
from backend.web.api_contract import RowId, answers, request_body
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.input_guard import IdQuery
from backend.web.responses import problem

view_catalog = requires(Permission.CATALOG_VIEW)
edit_catalog = requires(Permission.CATALOG_EDIT)


def _out(view: service.ProductView) -> ProductOut:
    return ProductOut(
        id=view.id,
        sku=view.sku,
        name=view.name,
        description=view.description,
        price_minor=view.price_minor,
        currency=view.currency,
        tax_rate=rules.format_tax_rate(view.tax_rate_centi),
        category=view.category,
        barcode=view.barcode,
        active=view.active,
        allow_backorder=view.allow_backorder,
        version=view.version,
    )


def _rejected(exc: ProductRejected) -> Any:
    errors = [
        {"key": field, "message": gettext(rules.MESSAGES[code])} for field, code in exc.problems.items()
    ]
    status = 409 if exc.problems.get("sku") == "sku_taken" else 422
    return problem(status, errors[0]["message"], errors=errors)


def _tax(raw: str) -> int:
    try:
        return rules.parse_tax_rate(raw)
    except ValueError as exc:
        raise ProductRejected({"tax_rate": str(exc)}) from None


def _input(data: ProductIn) -> ProductInput:
    return ProductInput(
        sku=rules.normalise_sku(data.sku),
        name=data.name.strip(),
        price_minor=data.price_minor,
        currency=data.currency,
        tax_rate_centi=_tax(data.tax_rate),
        description=data.description.strip(),
        category=(data.category or "").strip() or None,
        barcode=(data.barcode or "").strip() or None,
        active=data.active,
        allow_backorder=data.allow_backorder,
    )


@post(
    "/products",
    guards=[edit_catalog],
    summary="Create a product",
    status_code=201,
    responses=answers(
        201, ProductOut, 409, 422, writes=True, example=PRODUCT_EXAMPLE, description="The product"
    ),
)
async def create_product(
    db: AppDb, principal: CurrentPrincipal, data: Annotated[ProductIn, request_body(PRODUCT_IN_EXAMPLE)]
) -> Any:
    try:
        view = await service.create_product(db, principal.user_id, _input(data))
    except ProductRejected as exc:
        return _rejected(exc)
    return _out(view)


@get(
    "/products",
    guards=[view_catalog],
    summary="Products, searchable, by pages",
    responses=answers(200, ProductList, example=PRODUCT_LIST_EXAMPLE, description="A page of products"),
)
async def list_products(
    db: AppDb,
    *,
    q: FromQuery[str] = "",
    category: IdQuery = None,
    cursor: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = listing.PAGE_SIZE,
    include_archived: FromQuery[bool] = False,
) -> Any:
    try:
        after_name, after_id = listing.decode_cursor(cursor)
    except ValueError:
        return problem(400, "The cursor is not one this API gave out.")
    query = listing.ProductQuery(q, category, include_archived, after_name, after_id, limit)
    async with db.read() as session:
        page = await listing.list_products(session, query)
    return ProductList([_out(view) for view in page.items], page.next_cursor)


async def _get(db: Database, product_id: int) -> service.ProductView:
    try:
        async with db.read() as session:
            return await service.get_product(session, product_id)
    except service.ProductNotFound:
        raise NotFoundException(f"No product {product_id}.") from None


@get(
    "/products/{product_id:int}",
    guards=[view_catalog],
    summary="One product",
    responses=answers(200, ProductOut, 404, example=PRODUCT_EXAMPLE, description="The product"),
)
async def get_product(db: AppDb, product_id: RowId) -> ProductOut:
    return _out(await _get(db, product_id))


def _patched(current: service.ProductView, data: ProductPatch) -> ProductInput:
    sent = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET}
    sent.pop("version")
    if "sku" in sent:
        sent["sku"] = rules.normalise_sku(sent["sku"])
    if "tax_rate" in sent:
        sent["tax_rate_centi"] = _tax(sent.pop("tax_rate"))
    return service.input_from(current, **sent)


@patch(
    "/products/{product_id:int}",
    guards=[edit_catalog],
    summary="Change some fields of a product",
    responses=answers(
        200,
        ProductOut,
        404,
        409,
        422,
        writes=True,
        example=PRODUCT_EXAMPLE,
        description="The product changed",
    ),
)
async def update_product(
    db: AppDb,
    principal: CurrentPrincipal,
    product_id: RowId,
    data: Annotated[ProductPatch, request_body(PRODUCT_PATCH_EXAMPLE)],
) -> Any:
    current = await _get(db, product_id)
    try:
        wanted = _patched(current, data)
        view = await service.update_product(db, principal.user_id, product_id, wanted, data.version)
    except ProductRejected as exc:
        return _rejected(exc)
    except service.ProductConflict as exc:
        return problem(
            409,
            "The product changed since you read it.",
            current_version=exc.current.version,
            current=_out(exc.current),
        )
    return _out(view)


ROUTES = [create_product, list_products, get_product, update_product]
