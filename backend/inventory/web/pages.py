"""Stock pages: the overview (low stock first), a product's stock and ledger, reorder settings,
and adjusting or transferring stock from a phone."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.i18n.translation import N_
from backend.inventory import commands, levels
from backend.inventory.rules import MOVEMENT_LABELS
from backend.inventory.service import StockError
from backend.inventory.web import product_picker
from backend.inventory.web.dependencies import OnLow
from backend.inventory.web.forms import (
    REORDER_FIELDS,
    Typed,
    add_problems,
    location_chosen,
    message,
    product_named,
    reorder_settings,
    text,
    whole,
)
from backend.inventory.web.product_picker import Picked
from backend.kernel.db import Database
from backend.web import inputs
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.input_guard import IdQuery
from backend.web.responses import FormErrors, is_htmx, page, see_other

AnyRequest = Request[Any, Any, Any]
view_stock = requires(Permission.STOCK_VIEW)
adjust_stock = requires(Permission.STOCK_ADJUST)


SAVED = {
    "adjusted": N_("Stock adjusted."),
    "transferred": N_("Stock transferred."),
    "reorder": N_("Reorder settings saved."),
    "bin": N_("Shelf position saved."),
}
ADJUST_FIELDS = ("product", "location", "delta", "reason")
TRANSFER_FIELDS = ("product", "source", "target", "quantity")


@get("/stock", guards=[view_stock])
async def stock_overview(
    request: AnyRequest,
    db: AppDb,
    *,
    location: IdQuery = None,
    q: FromQuery[str] = "",
    number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    counted: Annotated[int | None, QueryParameter(ge=0, le=inputs.MAX_ID)] = None,
) -> Template:
    async with db.read() as session:
        listing = await levels.overview(session, location, q, number)
        places = await levels.all_locations(session)
    context = {"listing": listing, "locations": places, "location": location, "q": q, "counted": counted}
    return page(request, "inventory/overview.html", context, fragment="inventory/_overview_rows.html")


async def _product_page(
    request: AnyRequest,
    db: Database,
    product_id: int,
    *,
    errors: FormErrors | None = None,
    status: int = 200,
    saved: str | None = None,
    reorder_at: int | None = None,
    bin_at: int | None = None,
    typed_bin: str | None = None,
) -> Template:
    """``reorder_at``, ``bin_at``: the location whose reorder or shelf form is shown again with
    its messages; htmx sending the shelf form gets that location's form alone."""
    async with db.read() as session:
        product = await levels.product_by_id(session, product_id)
        if product is None:
            raise NotFoundException()
        found = await levels.product_levels(session, product_id)
        context = {
            "product": product,
            "levels": found,
            "location_codes": {level.location_id: level.location_code for level in found},
            "movements": await levels.ledger(session, product_id),
            "movement_labels": MOVEMENT_LABELS,
            "errors": errors or FormErrors(),
            "saved": SAVED.get(saved or ""),
            "reorder_at": reorder_at,
            "bin_at": bin_at,
            "typed_bin": typed_bin,
            "level": next((level for level in found if level.location_id == bin_at), None),
        }
    fragment = BIN_FORM if context["level"] is not None else None
    return page(request, "inventory/product.html", context, status_code=status, fragment=fragment)


@get("/stock/products/{product_id:int}", guards=[view_stock])
async def product_stock_page(
    request: AnyRequest, db: AppDb, product_id: FromPath[int], saved: FromQuery[str | None] = None
) -> Template:
    return await _product_page(request, db, product_id, saved=saved)


@post("/stock/products/{product_id:int}/reorder", guards=[adjust_stock])
async def save_reorder(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, on_low: OnLow, product_id: FromPath[int]
) -> Response[Any] | Template:
    typed = Typed.read(await request.form(), REORDER_FIELDS)
    errors = FormErrors()
    async with db.read() as session:
        if await levels.product_by_id(session, product_id) is None:
            raise NotFoundException()
        location_id = await location_chosen(session, typed, "location", errors)
    settings = reorder_settings(typed, errors)
    if settings is None or location_id is None:
        return await _product_page(request, db, product_id, errors=errors, status=400, reorder_at=location_id)
    wanted, seen = settings
    try:
        await commands.set_reorder(
            db, principal.user_id, product_id, location_id, wanted=wanted, seen=seen, on_low=on_low
        )
    except StockError as exc:
        errors.add(None, message(exc.code))
        return await _product_page(request, db, product_id, errors=errors, status=409, reorder_at=location_id)
    return see_other(f"/stock/products/{product_id}?saved=reorder")


BIN_FORM = "inventory/_bin_form.html"
BIN_FIELDS = ("location", "bin", "seen_bin")


@post("/stock/products/{product_id:int}/bin", guards=[adjust_stock])
async def save_bin(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, product_id: FromPath[int]
) -> Response[Any] | Template:
    """Where the product sits on one location's shelves; checked against the position shown."""
    typed = Typed.read(await request.form(), BIN_FIELDS)
    errors = FormErrors()
    async with db.read() as session:
        if await levels.product_by_id(session, product_id) is None:
            raise NotFoundException()
        location_id = await location_chosen(session, typed, "location", errors)
    if location_id is None:  # the form names a location the page did not show: say so on top
        errors = FormErrors()
        errors.add(None, message("unknown_location"))
        return await _product_page(request, db, product_id, errors=errors, status=400)
    wanted, seen = typed.get("bin"), typed.get("seen_bin")
    try:
        await db.run(commands.set_bin, principal.user_id, product_id, location_id, wanted, seen=seen)
    except commands.StockRejected as exc:
        add_problems(errors, exc.problems)
        return await _product_page(
            request, db, product_id, errors=errors, status=400, bin_at=location_id, typed_bin=wanted
        )
    except StockError as exc:
        errors.add("bin", message(exc.code))
        return await _product_page(request, db, product_id, errors=errors, status=409, bin_at=location_id)
    if is_htmx(request):
        return await _product_page(request, db, product_id, saved="bin", bin_at=location_id)
    return see_other(f"/stock/products/{product_id}?saved=bin")


MOVE_TEMPLATES = {"adjust": "inventory/adjust.html", "transfer": "inventory/transfer.html"}
# The field that starts out on the default location (listed first) when the page opens.
PRESET = {"adjust": "location", "transfer": "source"}
PICKER = "inventory/_product_choices.html"


async def _move_page(
    request: AnyRequest,
    db: Database,
    kind: str,
    typed: Typed,
    errors: FormErrors | None = None,
    *,
    status: int = 200,
    picked: Picked | None = None,
) -> Template:
    """The form, with what its product field names: the product, or choices. htmx asking while
    someone types gets the choices alone."""
    async with db.read() as session:
        places = await levels.all_locations(session)
        if picked is None:
            picked = await product_picker.pick(session, typed.get("product"))
    if places and not typed.get(PRESET[kind]):
        typed.values[PRESET[kind]] = str(places[0].id)
    context = {"typed": typed, "locations": places, "errors": errors or FormErrors(), "picked": picked}
    return page(request, MOVE_TEMPLATES[kind], context, status_code=status, fragment=PICKER)


async def _picking(
    request: AnyRequest, db: Database, kind: str, fields: tuple[str, ...]
) -> tuple[Typed, Template | None]:
    """The form as typed, and the page to show instead of moving stock when the person was only
    finding the product: "Find" (or Enter without JavaScript), or choosing one of the results."""
    form = await request.form()
    typed = Typed.read(form, fields)
    if chosen := text(form, "choose"):
        typed.values["product"] = chosen
        return typed, await _move_page(request, db, kind, typed)
    if form.get("action") == "find":
        return typed, await _move_page(request, db, kind, typed)
    return typed, None


@get("/stock/adjust", guards=[adjust_stock])
async def adjust_page(
    request: AnyRequest, db: AppDb, product: FromQuery[str] = "", location: FromQuery[str] = ""
) -> Template:
    return await _move_page(request, db, "adjust", Typed({"product": product, "location": location}))


async def _product_and_place(db: Database, typed: Typed, errors: FormErrors, *places: str) -> Picked:
    async with db.read() as session:
        picked = await product_named(session, typed, errors)
        for name in places:
            await location_chosen(session, typed, name, errors)
    return picked


@post("/stock/adjust", guards=[adjust_stock])
async def adjust(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, on_low: OnLow
) -> Response[Any] | Template:
    typed, finding = await _picking(request, db, "adjust", ADJUST_FIELDS)
    if finding is not None:
        return finding
    errors = FormErrors()
    picked = await _product_and_place(db, typed, errors, "location")
    delta = whole(typed.values, "delta", errors, signed=True)
    product = picked.product
    if errors or product is None or delta is None:
        return await _move_page(request, db, "adjust", typed, errors, status=400, picked=picked)
    wanted = commands.Adjustment(product.id, int(typed.get("location")), delta, typed.get("reason"))
    try:
        await commands.adjust(db, principal.user_id, wanted, on_low=on_low)
    except commands.StockRejected as exc:
        add_problems(errors, exc.problems)
        return await _move_page(request, db, "adjust", typed, errors, status=400, picked=picked)
    except StockError as exc:
        errors.add(None, message(exc.code, **exc.details))
        return await _move_page(request, db, "adjust", typed, errors, status=409, picked=picked)
    return see_other(f"/stock/products/{product.id}?saved=adjusted")


@get("/stock/transfer", guards=[adjust_stock])
async def transfer_page(
    request: AnyRequest, db: AppDb, product: FromQuery[str] = "", source: FromQuery[str] = ""
) -> Template:
    return await _move_page(request, db, "transfer", Typed({"product": product, "source": source}))


@post("/stock/transfer", guards=[adjust_stock])
async def transfer(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, on_low: OnLow
) -> Response[Any] | Template:
    typed, finding = await _picking(request, db, "transfer", TRANSFER_FIELDS)
    if finding is not None:
        return finding
    errors = FormErrors()
    picked = await _product_and_place(db, typed, errors, "source", "target")
    quantity = whole(typed.values, "quantity", errors)
    product = picked.product
    if errors or product is None or quantity is None:
        return await _move_page(request, db, "transfer", typed, errors, status=400, picked=picked)
    move = commands.Transfer(product.id, int(typed.get("source")), int(typed.get("target")), quantity)
    try:
        await commands.transfer(db, principal.user_id, move, on_low=on_low)
    except commands.StockRejected as exc:
        add_problems(errors, exc.problems)
        return await _move_page(request, db, "transfer", typed, errors, status=400, picked=picked)
    except StockError as exc:
        errors.add(None, message(exc.code, **exc.details))
        return await _move_page(request, db, "transfer", typed, errors, status=409, picked=picked)
    return see_other(f"/stock/products/{product.id}?saved=transferred")


ROUTES = [
    stock_overview,
    product_stock_page,
    save_reorder,
    save_bin,
    adjust_page,
    adjust,
    transfer_page,
    transfer,
]
