"""Cycle counts on the phone: choose a location, type what is on the shelves, check the
differences, confirm. A count the stock moved under is refused (409) with the rows to recount."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import ClientException
from litestar.params import FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.i18n.translation import N_
from backend.inventory import commands, levels
from backend.inventory.web import count_sheet as counting
from backend.inventory.web.count_sheet import CountSheet
from backend.inventory.web.dependencies import OnLow
from backend.inventory.web.forms import message
from backend.kernel.db import Database
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.input_guard import IdQuery
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
adjust_stock = requires(Permission.STOCK_ADJUST)


async def _count_page(
    request: AnyRequest,
    db: Database,
    sheet: CountSheet | None,
    *,
    review: bool = False,
    q: str = "",
    status: int = 200,
) -> Template:
    async with db.read() as session:
        places = await levels.all_locations(session)
    chosen = next((place for place in places if sheet and place.id == sheet.location_id), None)
    context = {
        "locations": places,
        "location": chosen,
        "sheet": sheet,
        "review": review,
        "q": q,
        "errors": sheet.errors if sheet else FormErrors(),
    }
    return page(request, "inventory/count.html", context, status_code=status)


@get("/stock/count", guards=[adjust_stock])
async def count_page(
    request: AnyRequest, db: AppDb, *, location: IdQuery = None, q: FromQuery[str] = ""
) -> Template:
    sheet = None
    if location is not None:
        async with db.read() as session:
            if await levels.location_by_id(session, location) is not None:
                sheet = counting.blank_sheet(location, await levels.count_sheet(session, location, q))
    return await _count_page(request, db, sheet, q=q)


async def _posted_sheet(request: AnyRequest, db: Database) -> CountSheet:
    async with db.read() as session:
        sheet = await counting.read_sheet(session, await request.form())
    if sheet is None:
        raise ClientException(N_("Choose a location to count."))
    return sheet


@post("/stock/count/review", guards=[adjust_stock])
async def review_count(request: AnyRequest, db: AppDb) -> Template:
    sheet = await _posted_sheet(request, db)
    if not counting.is_clean(sheet):
        return await _count_page(request, db, sheet, status=400)
    return await _count_page(request, db, counting.only_counted(sheet), review=True)


@post("/stock/count/confirm", guards=[adjust_stock])
async def confirm_count(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, on_low: OnLow
) -> Response[Any] | Template:
    sheet = await _posted_sheet(request, db)
    if not counting.is_clean(sheet):
        return await _count_page(request, db, sheet, status=400)
    try:
        corrections = await commands.count(
            db, principal.user_id, sheet.location_id, sheet.counts(), on_low=on_low
        )
    except commands.CountStale as exc:
        sheet.mark_stale(exc.current)
        sheet.errors.add(None, message("count_stale"))
        return await _count_page(request, db, sheet, status=409)
    return see_other(f"/stock?location={sheet.location_id}&counted={corrections}")


ROUTES = [count_page, review_count, confirm_count]
