"""Location pages: the list, a new location, editing one (version checked)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web import forms as auth_forms
from backend.auth.web.guards import requires
from backend.inventory import locations
from backend.inventory.models import Location
from backend.inventory.rules import LOCATION_KIND_LABELS, LocationKind
from backend.inventory.web.forms import Typed, add_problems, location_input, location_typed, location_values
from backend.kernel.db import Database
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]
view_stock = requires(Permission.STOCK_VIEW)
adjust_stock = requires(Permission.STOCK_ADJUST)


@get("/locations", guards=[view_stock])
async def locations_page(request: AnyRequest, db: AppDb, saved: FromQuery[bool] = False) -> Template:
    async with db.read() as session:
        found = await locations.list_locations(session)
    context = {"locations": found, "kind_labels": LOCATION_KIND_LABELS, "saved": saved}
    return page(request, "inventory/locations.html", context)


def _form_page(
    request: AnyRequest,
    typed: Typed,
    location: Location | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Template:
    context = {
        "typed": typed,
        "location": location,
        "kinds": [(kind.value, LOCATION_KIND_LABELS[kind]) for kind in LocationKind],
        "errors": errors or FormErrors(),
    }
    return page(request, "inventory/location_edit.html", context, status_code=status)


async def _location(db: Database, location_id: int) -> Location:
    try:
        async with db.read() as session:
            return await locations.get_location(session, location_id)
    except locations.LocationNotFound:
        raise NotFoundException() from None


@get("/locations/new", guards=[adjust_stock])
async def new_location_page(request: AnyRequest) -> Template:
    return _form_page(request, Typed({"kind": LocationKind.WAREHOUSE.value}))


@post("/locations/new", guards=[adjust_stock])
async def create_location(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal
) -> Response[Any] | Template:
    typed = location_typed(await request.form())
    errors = FormErrors()
    wanted = location_input(typed, errors)
    if wanted is None:
        return _form_page(request, typed, errors=errors, status=400)
    try:
        await locations.create_location(db, principal.user_id, wanted)
    except locations.LocationRejected as exc:
        add_problems(errors, exc.problems)
        return _form_page(
            request, typed, errors=errors, status=409 if "code_taken" in exc.problems.values() else 400
        )
    return see_other("/locations?saved=true")


@get("/locations/{location_id:int}", guards=[view_stock])
async def location_page(request: AnyRequest, db: AppDb, location_id: FromPath[int]) -> Template:
    location = await _location(db, location_id)
    return _form_page(request, location_values(location), location)


@post("/locations/{location_id:int}", guards=[adjust_stock])
async def update_location(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, location_id: FromPath[int]
) -> Response[Any] | Template:
    raw = await request.form()
    typed, errors = location_typed(raw), FormErrors()
    current = await _location(db, location_id)
    expected = auth_forms.version(raw, errors)
    wanted = location_input(typed, errors)
    if expected is None and not errors.general:
        errors.add(None, auth_forms.message("bad_version"))
    if wanted is None or expected is None:
        return _form_page(request, typed, current, errors, 400)
    try:
        await locations.update_location(db, principal.user_id, location_id, wanted, expected)
    except locations.LocationConflict:
        errors.add(None, auth_forms.message("version_conflict"))
        fresh = await _location(db, location_id)
        return _form_page(request, location_values(fresh), fresh, errors, 409)
    except locations.LocationRejected as exc:
        add_problems(errors, exc.problems)
        return _form_page(
            request, typed, current, errors, 409 if "code_taken" in exc.problems.values() else 400
        )
    return see_other("/locations?saved=true")


ROUTES = [locations_page, new_location_page, create_location, location_page, update_location]
