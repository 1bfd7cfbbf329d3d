"""Stock endpoints of the JSON API."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post
from litestar.exceptions import NotFoundException

from backend.auth.rules import Permission
from backend.auth.web.guards import requires
from backend.i18n.translation import N_, gettext
from backend.inventory import commands, levels, rules
from backend.inventory.service import StockError
from backend.inventory.web.dependencies import OnLow
from backend.inventory.web.schemas import (
    ADJUSTMENT_EXAMPLE,
    BIN_EXAMPLE,
    BIN_OUT_EXAMPLE,
    LEVEL_EXAMPLE,
    LOCATION_LEVELS_EXAMPLE,
    AdjustmentIn,
    BinIn,
    BinOut,
    LevelOut,
    LocationLevelOut,
)
from backend.kernel.db import Database
from backend.web.api_contract import RowId, answers, request_body
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.responses import problem

view_stock = requires(Permission.STOCK_VIEW)
adjust_stock = requires(Permission.STOCK_ADJUST)


def _rejected(problems: dict[str, str]) -> Any:
    errors = [{"key": name, "message": gettext(rules.MESSAGES[code])} for name, code in problems.items()]
    return problem(422, errors[0]["message"], errors=errors)


async def _target(db: Database, data: AdjustmentIn | BinIn) -> tuple[int, int]:
    """(product id, location id); a 404 that names the SKU or the location nobody knows."""
    async with db.read() as session:
        product = await levels.find_by_sku(session, data.sku)
        location = await levels.find_location(session, data.location)
    if product is None:
        raise NotFoundException(gettext(N_("No product has the SKU %(sku)s."), sku=data.sku))
    if location is None and data.location is None:
        raise NotFoundException(gettext(N_("There is no location yet: create one first.")))
    if location is None:
        raise NotFoundException(gettext(N_("No location has the code %(code)s."), code=data.location))
    return product.id, location.id


@post(
    "/stock/adjustments",
    guards=[adjust_stock],
    summary="Adjust on-hand stock",
    status_code=201,
    responses=answers(
        201,
        LevelOut,
        404,
        409,
        422,
        writes=True,
        example=LEVEL_EXAMPLE,
        description="The level after the change",
    ),
)
async def create_adjustment(
    db: AppDb,
    principal: CurrentPrincipal,
    on_low: OnLow,
    data: Annotated[AdjustmentIn, request_body(ADJUSTMENT_EXAMPLE)],
) -> Any:
    if problems := rules.adjustment_problems(data.delta, data.reason.strip()):
        return _rejected(problems)
    product_id, location_id = await _target(db, data)
    wanted = commands.Adjustment(product_id, location_id, data.delta, data.reason)
    try:
        after = await commands.adjust(db, principal.user_id, wanted, on_low=on_low)
    except StockError as exc:
        detail = gettext(rules.MESSAGES["below_reserved"], **exc.details)
        return problem(409, detail, on_hand=exc.details["on_hand"], reserved=exc.details["reserved"])
    return LevelOut(
        after.sku, after.location_code, after.on_hand, after.reserved, after.available, after.backordered
    )


@get(
    "/products/{product_id:int}/stock",
    guards=[view_stock],
    summary="A product's stock at each location",
    responses=answers(
        200,
        list[LocationLevelOut],
        404,
        example=LOCATION_LEVELS_EXAMPLE,
        description="One level per location",
    ),
)
async def product_stock(db: AppDb, product_id: RowId) -> list[LocationLevelOut]:
    async with db.read() as session:
        if await levels.product_by_id(session, product_id) is None:
            raise NotFoundException(f"No product {product_id}.")
        found = await levels.product_levels(session, product_id)
    return [
        LocationLevelOut(
            level.location_code, level.on_hand, level.reserved, level.available, level.backordered, level.bin
        )
        for level in found
    ]


@post(
    "/stock/bins",
    guards=[adjust_stock],
    summary="Set where a product sits on a location's shelves",
    status_code=200,
    responses=answers(
        200,
        BinOut,
        404,
        409,
        422,
        writes=True,
        example=BIN_OUT_EXAMPLE,
        description="The shelf position now",
    ),
)
async def set_bin(
    db: AppDb, principal: CurrentPrincipal, data: Annotated[BinIn, request_body(BIN_EXAMPLE)]
) -> Any:
    """Pick lists at the location walk their lines in the order of these positions."""
    if problem_code := rules.bin_problem(rules.normalise_bin(data.bin)):
        return _rejected({"bin": problem_code})
    product_id, location_id = await _target(db, data)
    try:
        level = await db.run(
            commands.set_bin, principal.user_id, product_id, location_id, data.bin, seen=data.seen_bin
        )
    except StockError as exc:
        return problem(409, gettext(rules.MESSAGES[exc.code]), code=exc.code)
    return BinOut(level.sku, level.location_code, level.bin)


ROUTES = [create_adjustment, product_stock, set_bin]
