"""CSV import (upload → preview with row errors → confirm) and export."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Stream, Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.catalog import csv_io, imports, rules
from backend.catalog.web.dependencies import ShopCurrency
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.responses import page, see_other

AnyRequest = Request[Any, Any, Any]
edit_catalog = requires(Permission.CATALOG_EDIT)
view_catalog = requires(Permission.CATALOG_VIEW)
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def _page(request: AnyRequest, status: int = 200, **context: object) -> Template:
    defaults: dict[str, object] = {"preview": None, "token": None, "applied": None, "gone": False}
    defaults["columns"] = csv_io.COLUMNS
    defaults["messages"] = rules.MESSAGES
    return page(request, "catalog/import.html", {**defaults, **context}, status_code=status)


@get("/catalog/import", guards=[edit_catalog])
async def import_page(request: AnyRequest) -> Template:
    return _page(request)


@post("/catalog/import", guards=[edit_catalog], request_max_body_size=MAX_IMPORT_BYTES)
async def preview_import(
    request: AnyRequest, db: AppDb, shop: ShopCurrency, principal: CurrentPrincipal
) -> Template:
    upload = (await request.form()).get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    preview = csv_io.read(content, shop.currency)
    if not content.strip() or (not preview.rows and preview.file_problem is None and not preview.problems):
        preview.file_problem = "csv_empty"
    if not preview.can_import:
        return _page(request, 400, preview=preview)
    token = await imports.keep_upload(db, principal.user_id, filename, content)
    return _page(request, preview=preview, token=token)


@post("/catalog/import/{token:str}", guards=[edit_catalog])
async def apply_import(
    request: AnyRequest, db: AppDb, shop: ShopCurrency, principal: CurrentPrincipal, token: FromPath[str]
) -> Response[Any] | Template:
    try:
        applied = await imports.apply_upload(db, principal.user_id, token, shop.currency)
    except imports.ImportGone:
        return _page(request, 410, gone=True)
    return see_other(f"/catalog/import?created={applied.created}&updated={applied.updated}")


@get("/catalog/export.csv", guards=[view_catalog])
async def export_csv(db: AppDb) -> Stream:
    async with db.read() as session:
        rows = await imports.export_rows(session)
    return Stream(
        csv_io.write(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="catalog.csv"'},
    )


ROUTES = [import_page, preview_import, apply_import, export_csv]
