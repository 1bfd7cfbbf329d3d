"""Customer pages for the shop: find a customer, see their addresses, orders and worth."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.i18n.translation import N_
from backend.orders import history
from backend.orders.labels import FOR_CUSTOMERS
from backend.web.dependencies import AppDb
from backend.web.responses import page

AnyRequest = Request[Any, Any, Any]
view_customers = requires(Permission.CUSTOMERS_VIEW)


@get("/customers", guards=[view_customers])
async def customers_page(
    request: AnyRequest, db: AppDb, q: FromQuery[str] = "", cursor: FromQuery[str | None] = None
) -> Template:
    async with db.read() as session:
        found = await history.list_customers(session, q, cursor)
    context = {"found": found, "q": q, "more_only": cursor is not None}
    return page(request, "customers/list.html", context, fragment="customers/_rows.html")


@get("/customers/{customer_id:int}", guards=[view_customers])
async def customer_page(request: AnyRequest, db: AppDb, customer_id: FromPath[int]) -> Template:
    async with db.read() as session:
        found = await history.customer_file(session, customer_id)
    if found is None:
        raise NotFoundException(N_("No such customer."))
    return page(request, "customers/detail.html", {"file": found, "status_labels": FOR_CUSTOMERS})


ROUTES = [customers_page, customer_page]
