"""Marketplace orders from a CSV export: upload → preview with row errors → confirm → result."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.kernel.db import utcnow
from backend.orders import csv_import, imports, labels
from backend.orders.csv_import import Preview
from backend.orders.web import import_seal
from backend.orders.web.dependencies import CurrentActor
from backend.web.dependencies import AppDb, AppSettings
from backend.web.responses import page

AnyRequest = Request[Any, Any, Any]
take_orders = requires(Permission.ORDERS_PLACE)
# Twice the file cap, so that a file a little too large is told so on the page rather than cut off.
UPLOAD_LIMIT = 2 * csv_import.MAX_BYTES


def _page(request: AnyRequest, status: int = 200, **context: object) -> Template:
    defaults: dict[str, object] = {
        "preview": None,
        "result": None,
        "sealed": None,
        "filename": "",
        "expired": False,
        "columns": csv_import.COLUMNS,
        "required": csv_import.REQUIRED,
        "messages": csv_import.MESSAGES,
        "labels": labels,
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: another file is another request
    }
    return page(request, "orders/import.html", {**defaults, **context}, status_code=status)


def _status_of(preview: Preview) -> int:
    if preview.file_problem or (preview.problems and not preview.ready):
        return 400
    return 200


@get("/orders/import", guards=[take_orders])
async def import_page(request: AnyRequest) -> Template:
    return _page(request)


@post("/orders/import", guards=[take_orders], request_max_body_size=UPLOAD_LIMIT)
async def preview_import(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings
) -> Template:
    upload = (await request.form()).get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename[:200] if isinstance(upload, UploadFile) else ""
    preview = await imports.check(db, content)
    sealed = None
    if preview.ready:
        sealed = import_seal.seal(content, actor.user_id, settings.secret_key, utcnow())
    return _page(request, _status_of(preview), preview=preview, sealed=sealed, filename=filename)


@post("/orders/import/confirm", guards=[take_orders], request_max_body_size=import_seal.MAX_FORM_BYTES)
async def confirm_import(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings
) -> Template:
    form = await request.form()
    filename = str(form.get("filename") or "")[:200]
    try:
        sealed = str(form.get("sealed") or "")
        content = import_seal.unseal(sealed, actor.user_id, settings.secret_key, utcnow())
    except import_seal.SealBroken:
        return _page(request, 400, expired=True)
    outcome = await imports.import_orders(db, actor, content, filename)
    if isinstance(outcome, Preview):  # previewed before an upgrade that changed what a file may hold
        return _page(request, 400, preview=outcome)
    return _page(request, result=outcome, filename=filename)


ROUTES = [import_page, preview_import, confirm_import]
