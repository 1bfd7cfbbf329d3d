"""What customers said of their orders: the ratings, newest first, with the average and how many
of each; one number of stars at a time if asked (``?stars=1``: the unhappy ones first)."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from litestar import Request, get
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.i18n.translation import babel_locale, current_locale
from backend.orders import ratings
from backend.web.dependencies import AppDb
from backend.web.responses import page

AnyRequest = Request[Any, Any, Any]


def _stars(raw: str | None) -> int | None:
    return int(raw) if raw in {"1", "2", "3", "4", "5"} else None


@get("/orders/ratings", guards=[requires(Permission.ORDERS_VIEW)])
async def ratings_page(request: AnyRequest, db: AppDb) -> Template:
    stars = _stars(request.query_params.get("stars"))
    async with db.read() as session:
        listed = await ratings.ratings_list(session, stars)
    average = listed.average
    shown_average = (
        format_decimal(average, "0.0", locale=babel_locale(current_locale.get())) if average else ""
    )
    context = {"listed": listed, "stars": stars, "shown": ratings.LISTED, "average": shown_average}
    return page(request, "orders/ratings.html", context)


ROUTES = [ratings_page]
