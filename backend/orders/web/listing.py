"""The order list for the team: filters, search, pages that load as you scroll, CSV export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Stream, Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.i18n.translation import gettext
from backend.orders import labels, queries
from backend.orders.web import list_filters as order_list
from backend.orders.web.list_filters import ListFilters
from backend.shop.web.dependencies import Shop
from backend.web import inputs
from backend.web.dependencies import AppDb
from backend.web.responses import FormErrors, page

AnyRequest = Request[Any, Any, Any]
view_orders = requires(Permission.ORDERS_VIEW)


def _errors(filters: ListFilters) -> FormErrors:
    errors = FormErrors()
    for name, message in filters.problems.items():
        errors.add(name if name in order_list.SHOWN else None, gettext(message))  # the rest on top
    return errors


def _context(
    filters: ListFilters, found: queries.OrderPage | None, more_only: bool = False
) -> dict[str, Any]:
    return {
        "filters": filters,
        "errors": _errors(filters),
        "labels": labels,
        "choices": {name: sorted(values) for name, values in order_list.CHOICES.items()},
        "more_only": more_only,
        "found": found,
    }


@get("/orders/all", guards=[view_orders])
async def order_list_page(
    request: AnyRequest, db: AppDb, shop: Shop, cursor: FromQuery[str | None] = None
) -> Template:
    filters = order_list.read(request.query_params)
    if filters.problems:
        return page(request, "orders/list.html", _context(filters, None), status_code=400)
    after_id = inputs.parse_id(cursor)
    wanted = order_list.query_of(filters, shop.timezone, after_id)
    async with db.read() as session:
        found = await queries.list_orders(session, wanted)
    context = _context(filters, found, more_only=cursor is not None)
    return page(request, "orders/list.html", context, fragment="orders/_list_rows.html")


@get("/orders/export.csv", guards=[view_orders])
async def export_orders(request: AnyRequest, db: AppDb, shop: Shop) -> Stream | Template:
    filters = order_list.read(request.query_params)
    if filters.problems:
        return page(request, "orders/list.html", _context(filters, None), status_code=400)
    wanted = order_list.query_of(filters, shop.timezone, limit=order_list.EXPORT_PAGE)

    async def chunks() -> AsyncIterator[str]:
        async with db.read() as session:
            async for chunk in order_list.export(session, wanted):
                yield chunk

    return Stream(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


ROUTES = [order_list_page, export_orders]
