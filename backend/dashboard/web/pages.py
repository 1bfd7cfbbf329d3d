from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from backend.auth.principal import Principal
from backend.auth.rules import Role
from backend.auth.web.guards import PUBLIC, signed_in
from backend.dashboard.web.dependencies import Feeds
from backend.kernel.db import Database
from backend.realtime.web.dependencies import LiveCursor
from backend.storefront import tracking
from backend.storefront.my_orders import SHOWN, orders_of
from backend.web.dependencies import AppDb
from backend.web.responses import page, see_other

AnyRequest = Request[Any, Any, Any]


@get("/", opt=PUBLIC)
async def home(
    request: AnyRequest, db: AppDb, feeds: Feeds, live_cursor: LiveCursor
) -> Response[Any] | Template:
    """Each person's own first screen, at the address the installed app opens: visitors shop,
    customers follow their orders, drivers see their run, the team sees what happened lately."""
    principal: Principal | None = request.scope.get("user")
    if principal is None:
        return see_other("/shop")
    if principal.role == Role.CUSTOMER:
        return await _my_orders(request, db, principal, live_cursor)
    if principal.role == Role.DRIVER:
        return see_other("/deliveries/today")  # the driver's "Today's run"
    template = "dashboard/home.html"
    feed_html = await feeds.feed_html(db, principal, live_cursor)
    return page(request, template, {"feed_html": feed_html, "newest_event_id": live_cursor})


async def _my_orders(request: AnyRequest, db: Database, principal: Principal, newest: int) -> Template:
    # ``newest`` was read before the list: an event after it is replayed to the page's socket.
    async with db.read() as session:
        orders = await orders_of(session, principal.user_id)
    context = {
        "orders": orders,
        "shown": SHOWN,
        "status_labels": tracking.STATUS_LABELS,
        "newest_event_id": newest,
    }
    return page(request, "dashboard/my_orders.html", context)


@get("/more", guards=[signed_in])
async def more(request: AnyRequest) -> Template:
    return page(request, "dashboard/more.html")


ROUTES = [home, more]
