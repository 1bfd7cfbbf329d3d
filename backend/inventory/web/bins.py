"""Shelf positions as a file: the stock exported as CSV (``sku``, ``location``, ``bin`` and the
figures), and a file of positions imported back. An upload is checked whole and applied at once,
every line or none: setting a position twice changes nothing, so there is no preview to confirm."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Stream, Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.catalog.rules import MESSAGES as FILE_MESSAGES
from backend.inventory import bins_csv, commands, levels, rules
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.responses import page, see_other

AnyRequest = Request[Any, Any, Any]
view_stock = requires(Permission.STOCK_VIEW)
adjust_stock = requires(Permission.STOCK_ADJUST)
MAX_BYTES = 5 * 1024 * 1024


def _page(request: AnyRequest, status: int = 200, **context: object) -> Template:
    defaults: dict[str, object] = {
        "preview": None,
        "columns": bins_csv.COLUMNS,
        "figures": bins_csv.FIGURES,
        "messages": {**FILE_MESSAGES, **rules.MESSAGES},
        "changed": request.query_params.get("changed"),
    }
    return page(request, "inventory/bins.html", {**defaults, **context}, status_code=status)


@get("/stock/bins", guards=[adjust_stock])
async def bins_page(request: AnyRequest) -> Template:
    return _page(request)


@post("/stock/bins", guards=[adjust_stock], request_max_body_size=MAX_BYTES)
async def import_bins(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal
) -> Response[Any] | Template:
    upload = (await request.form()).get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    async with db.read() as session:
        preview = await bins_csv.read(session, content)
    if not preview.placements and preview.file_problem is None and not preview.problems:
        preview.file_problem = "csv_empty"
    if not preview.can_import:
        return _page(request, 400, preview=preview)
    changed = await db.run(commands.import_bins, principal.user_id, preview.placements)
    return see_other(f"/stock/bins?changed={changed}")


@get("/stock/bins.csv", guards=[view_stock])
async def export_bins(db: AppDb) -> Stream:
    async with db.read() as session:
        found = await levels.stocked_levels(session)
    return Stream(
        bins_csv.write(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="bins.csv"'},
    )


ROUTES = [bins_page, import_bins, export_bins]
