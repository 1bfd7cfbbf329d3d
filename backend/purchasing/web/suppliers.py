"""Supplier pages: the list, a new supplier, editing one."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.inventory.web.forms import Typed
from backend.kernel.db import Database
from backend.purchasing import suppliers
from backend.purchasing.models import Supplier
from backend.purchasing.web.forms import (
    SUPPLIER_FIELDS,
    add_problems,
    message,
    supplier_input,
    supplier_values,
)
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
manage_purchasing = requires(Permission.PURCHASING_MANAGE)


@get("/suppliers", guards=[manage_purchasing])
async def suppliers_page(request: AnyRequest, db: AppDb, saved: FromQuery[bool] = False) -> Template:
    async with db.read() as session:
        found = await suppliers.list_suppliers(session)
    return page(request, "purchasing/suppliers.html", {"suppliers": found, "saved": saved})


def _form_page(
    request: AnyRequest,
    typed: Typed,
    supplier: Supplier | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Template:
    context = {"typed": typed, "supplier": supplier, "errors": errors or FormErrors()}
    return page(request, "purchasing/supplier_edit.html", context, status_code=status)


async def _supplier(db: Database, supplier_id: int) -> Supplier:
    try:
        async with db.read() as session:
            return await suppliers.get_supplier(session, supplier_id)
    except suppliers.SupplierNotFound:
        raise NotFoundException() from None


def _status(problems: dict[str, str]) -> int:
    return 409 if "name_taken" in problems.values() else 400


@get("/suppliers/new", guards=[manage_purchasing])
async def new_supplier_page(request: AnyRequest) -> Template:
    return _form_page(request, Typed({"lead_time_days": "2"}))


@post("/suppliers/new", guards=[manage_purchasing])
async def create_supplier(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal
) -> Response[Any] | Template:
    typed, errors = Typed.read(await request.form(), SUPPLIER_FIELDS), FormErrors()
    wanted = supplier_input(typed, errors)
    if wanted is None:
        return _form_page(request, typed, errors=errors, status=400)
    try:
        await suppliers.create_supplier(db, principal.user_id, wanted)
    except suppliers.SupplierRejected as exc:
        add_problems(errors, exc.problems)
        return _form_page(request, typed, errors=errors, status=_status(exc.problems))
    return see_other("/suppliers?saved=true")


@get("/suppliers/{supplier_id:int}", guards=[manage_purchasing])
async def supplier_page(request: AnyRequest, db: AppDb, supplier_id: FromPath[int]) -> Template:
    supplier = await _supplier(db, supplier_id)
    return _form_page(request, supplier_values(supplier), supplier)


@post("/suppliers/{supplier_id:int}", guards=[manage_purchasing])
async def update_supplier(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, supplier_id: FromPath[int]
) -> Response[Any] | Template:
    typed, errors = Typed.read(await request.form(), SUPPLIER_FIELDS), FormErrors()
    current = await _supplier(db, supplier_id)
    wanted = supplier_input(typed, errors)
    if wanted is None:
        return _form_page(request, typed, current, errors, 400)
    try:
        await suppliers.update_supplier(db, principal.user_id, supplier_id, wanted, typed.get("fingerprint"))
    except suppliers.SupplierConflict:
        errors.add(None, message("supplier_changed"))
        fresh = await _supplier(db, supplier_id)
        return _form_page(request, supplier_values(fresh), fresh, errors, 409)
    except suppliers.SupplierRejected as exc:
        add_problems(errors, exc.problems)
        return _form_page(request, typed, current, errors, _status(exc.problems))
    return see_other("/suppliers?saved=true")


ROUTES = [suppliers_page, new_supplier_page, create_supplier, supplier_page, update_supplier]
