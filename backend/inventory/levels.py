"""The read side of stock for its screens and API: levels per product and location, the overview
with low stock first, the ledger, and looking products and locations up the way people type them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.auth.models import User
from backend.catalog.models import Product
from backend.inventory import rules
from backend.inventory.models import Location, StockLevel, StockMovement

OVERVIEW_PAGE = 50
SHEET_LIMIT = 200  # rows on one count sheet: a phone form stays usable, a filter narrows it
LEDGER_LENGTH = 30


class Figures:
    """What a level's four numbers mean, for every view that carries them."""

    on_hand: int
    reserved: int
    backordered: int
    reorder_point: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return rules.is_low(self.on_hand, self.reserved, self.backordered, self.reorder_point)


@dataclass(frozen=True)
class LevelView(Figures):
    product_id: int
    sku: str
    name: str
    location_id: int
    location_code: str
    location_name: str
    on_hand: int
    reserved: int
    backordered: int
    reorder_point: int
    reorder_qty: int
    bin: str | None = None  # the shelf position, where one was given


@dataclass(frozen=True)
class OverviewPage:
    items: list[LevelView]
    page: int
    has_more: bool


@dataclass(frozen=True)
class MovementView:
    at: datetime
    kind: str
    quantity: int
    location_code: str
    reason: str
    reference: str
    actor: str | None


_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Location.id,
    Location.code,
    Location.name,
    func.coalesce(StockLevel.on_hand, 0),
    func.coalesce(StockLevel.reserved, 0),
    func.coalesce(StockLevel.backordered, 0),
    func.coalesce(StockLevel.reorder_point, 0),
    func.coalesce(StockLevel.reorder_qty, 0),
    StockLevel.bin,
)


def _pairs() -> Select[tuple[object, ...]]:
    """Product × location pairs (narrow them with WHERE), with zeros where no stock row exists yet."""
    return (
        select(*_COLUMNS)
        .select_from(Product)
        .join(Location, true())
        .outerjoin(
            StockLevel, and_(StockLevel.product_id == Product.id, StockLevel.location_id == Location.id)
        )
    )


def _stocked() -> Select[tuple[object, ...]]:
    """Only the pairs that have a stock row."""
    return (
        select(*_COLUMNS)
        .select_from(StockLevel)
        .join(Product, Product.id == StockLevel.product_id)
        .join(Location, Location.id == StockLevel.location_id)
    )


async def _views(session: AsyncSession, query: Select[tuple[object, ...]]) -> list[LevelView]:
    return [LevelView(*row) for row in await session.execute(query)]


async def find_by_sku(session: AsyncSession, sku: str) -> Product | None:
    """As typed, or as the catalog spells SKUs (upper case)."""
    sku = sku.strip()
    if not sku:
        return None
    return await session.scalar(select(Product).where(Product.sku.in_(sorted({sku, sku.upper()}))).limit(1))


async def product_by_id(session: AsyncSession, product_id: int) -> Product | None:
    return await session.get(Product, product_id)


async def location_by_id(session: AsyncSession, location_id: int) -> Location | None:
    return await session.get(Location, location_id)


async def find_product(session: AsyncSession, code: str) -> Product | None:
    """By SKU, else by barcode: a scanner types the barcode into the same field."""
    by_sku = await find_by_sku(session, code)
    if by_sku is not None or not code.strip():
        return by_sku
    query = select(Product).where(Product.barcode == code.strip()).order_by(Product.id).limit(1)
    return await session.scalar(query)


async def find_location(session: AsyncSession, code: str | None) -> Location | None:
    """By code; no code means the default location."""
    query = select(Location)
    if code is None:
        query = query.order_by(Location.is_default.desc(), Location.id)
    else:
        query = query.where(Location.code == code.strip())
    return await session.scalar(query.limit(1))


async def all_locations(session: AsyncSession) -> list[Location]:
    return list(await session.scalars(select(Location).order_by(Location.is_default.desc(), Location.code)))


async def product_levels(session: AsyncSession, product_id: int) -> list[LevelView]:
    """The product at every location, the default first."""
    query = _pairs().where(Product.id == product_id).order_by(Location.is_default.desc(), Location.code)
    return await _views(session, query)


def levels_query(location_id: int, product_ids: list[int]) -> Select[tuple[object, ...]]:
    """The products at the location (rows for ``LevelView``), also read inside commands."""
    return (
        _pairs()
        .where(Location.id == location_id, Product.id.in_(product_ids))
        .order_by(Product.name, Product.id)
    )


async def levels_at(session: AsyncSession, location_id: int, product_ids: list[int]) -> list[LevelView]:
    return await _views(session, levels_query(location_id, product_ids))


async def level_of(session: AsyncSession, product_id: int, location_id: int) -> LevelView:
    found = await levels_at(session, location_id, [product_id])
    return found[0]


def level_in(session: Session, product_id: int, location_id: int) -> LevelView:
    """``level_of`` inside a command's transaction (``backend.kernel.tx``)."""
    query = _pairs().where(Location.id == location_id, Product.id == product_id)
    return LevelView(*session.execute(query).one())


def _matching(query: Select[tuple[object, ...]], q: str) -> Select[tuple[object, ...]]:
    q = q.strip()
    if not q:
        return query
    return query.where(
        or_(Product.name.icontains(q, autoescape=True), Product.sku.icontains(q, autoescape=True))
    )


async def overview(session: AsyncSession, location_id: int | None, q: str, page: int) -> OverviewPage:
    """Stock rows, those that need attention first (the arithmetic of ``rules.is_low``)."""
    free = StockLevel.on_hand - StockLevel.reserved - StockLevel.backordered
    low_first = case((free < StockLevel.reorder_point, 0), else_=1)
    query = _stocked().order_by(low_first, Product.name, Product.id, Location.code)
    if location_id is not None:
        query = query.where(StockLevel.location_id == location_id)
    page = max(page, 1)
    query = _matching(query, q).offset((page - 1) * OVERVIEW_PAGE).limit(OVERVIEW_PAGE + 1)
    items = await _views(session, query)
    return OverviewPage(items[:OVERVIEW_PAGE], page, len(items) > OVERVIEW_PAGE)


async def count_sheet(session: AsyncSession, location_id: int, q: str) -> list[LevelView]:
    """What the location holds a record of, by name: the rows a counter walks through."""
    query = _stocked().where(StockLevel.location_id == location_id).order_by(Product.name, Product.id)
    return await _views(session, _matching(query, q).limit(SHEET_LIMIT))


async def stocked_levels(session: AsyncSession) -> list[LevelView]:
    """Every level with a stock row, by location and SKU: the stock as a file."""
    return await _views(session, _stocked().order_by(Location.code, Product.sku, Product.id))


async def ledger(session: AsyncSession, product_id: int, limit: int = LEDGER_LENGTH) -> list[MovementView]:
    rows = await session.execute(
        select(
            StockMovement.at,
            StockMovement.kind,
            StockMovement.quantity,
            Location.code,
            StockMovement.reason,
            StockMovement.reference,
            User.name,
        )
        .join(Location, Location.id == StockMovement.location_id)
        .outerjoin(User, User.id == StockMovement.actor_id)
        .where(StockMovement.product_id == product_id)
        .order_by(StockMovement.id.desc())
        .limit(limit)
    )
    return [MovementView(*row) for row in rows]


def free_units(product_id: ColumnElement[int]) -> ColumnElement[int]:
    """Units free to sell of a product, over every location: a column for the catalog's list."""
    return (
        select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved), 0))
        .where(StockLevel.product_id == product_id)
        .scalar_subquery()
    )
