"""The order's tracking link for the team to hand on: phone orders, counter sales and imported
orders never showed their customer one, and a shopper may have lost theirs. The page shows the
link with a copy button, the phone's share sheet and a QR code to hold up to the customer.

The link is made once, on request (``orders.sharing.share_link``), and is the same every time the
page is opened after: it is derived again from the order's salt and the instance secret.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.orders import sharing
from backend.orders.errors import OrderNotFound
from backend.orders.models import Order
from backend.orders.web.dependencies import CurrentActor
from backend.web.dependencies import AppDb, AppSettings
from backend.web.qr import qr_data_uri
from backend.web.responses import page, see_other

AnyRequest = Request[Any, Any, Any]


@get("/orders/{order_id:int}/share", guards=[requires(Permission.ORDERS_VIEW)])
async def share_page(
    request: AnyRequest, db: AppDb, settings: AppSettings, order_id: FromPath[int]
) -> Template:
    query = select(Order.number, Order.customer_name, Order.share_salt).where(Order.id == order_id)
    async with db.read() as session:
        found = (await session.execute(query)).first()
    if found is None:
        raise NotFoundException(f"No order {order_id}.")
    number, customer, salt = found
    link = None
    if salt is not None:
        token = sharing.shared_token(sharing.link_key(settings.secret_key), order_id, salt)
        link = f"{settings.origin}/t/{token}"
    context = {"order_id": order_id, "number": number, "customer": customer, "link": link}
    if link:
        context["qr"] = qr_data_uri(link)
    return page(request, "orders/share.html", context, headers={"Cache-Control": "no-store"})


@post("/orders/{order_id:int}/share", guards=[requires(Permission.ORDERS_VIEW)])
async def make_share_link(
    db: AppDb, settings: AppSettings, actor: CurrentActor, order_id: FromPath[int]
) -> Response[Any]:
    """Make the link (once: a second request keeps the first link) and show it."""
    salt = sharing.new_salt()
    token = sharing.shared_token(sharing.link_key(settings.secret_key), order_id, salt)
    try:
        await db.run(sharing.share_link, actor.user_id, order_id, salt, sharing.token_hash(token))
    except OrderNotFound:
        raise NotFoundException(f"No order {order_id}.") from None
    return see_other(f"/orders/{order_id}/share")


ROUTES = [share_page, make_share_link]
