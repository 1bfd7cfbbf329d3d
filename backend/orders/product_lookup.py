"""What the forms that build an order's lines (staff entry, editing an order) read: the product a
scan or a search names (an exact SKU or barcode, else the products whose name matches), the names
of the products on the lines, and the locations to choose from."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog import listing
from backend.catalog.models import Product
from backend.catalog.service import ProductView
from backend.i18n.translation import N_
from backend.inventory.models import Location
from backend.kernel.db import Database
from backend.orders import queries
from backend.orders.views import OrderDetail

CHOICES = 8
NO_MATCH = N_("No product for sale matches “%(term)s”.")


@dataclass(frozen=True)
class Found:
    sku: str | None  # the one product meant, when the term names exactly one
    choices: list[ProductView]  # several to choose from, otherwise


async def look_up(session: AsyncSession, term: str) -> Found:
    term = term.strip()
    exact = await session.scalar(
        select(Product.sku).where(
            Product.active.is_(True), or_(Product.sku == term.upper(), Product.barcode == term)
        )
    )
    if exact or not term:
        return Found(exact, [])
    matches = (await listing.list_products(session, listing.ProductQuery(term, limit=CHOICES))).items
    if len(matches) == 1:
        return Found(matches[0].sku, [])
    return Found(None, matches)


async def find(db: Database, term: str) -> Found:
    async with db.read() as session:
        return await look_up(session, term)


@dataclass(frozen=True)
class LineChoices:
    names: dict[str, str]  # SKU → product name, for the lines on the form
    locations: list[Location]  # the default first, then by name


async def _names(session: AsyncSession, skus: Collection[str]) -> dict[str, str]:
    if not skus:
        return {}
    rows = await session.execute(select(Product.sku, Product.name).where(Product.sku.in_(list(skus))))
    return dict(rows.all())


async def _locations(session: AsyncSession) -> list[Location]:
    return list(await session.scalars(select(Location).order_by(Location.is_default.desc(), Location.name)))


async def line_choices(db: Database, skus: Collection[str]) -> LineChoices:
    """For a new order's form: the names of the products on its lines, and the locations."""
    async with db.read() as session:
        return LineChoices(await _names(session, skus), await _locations(session))


async def order_with_choices(
    db: Database, order_id: int, skus: Collection[str]
) -> tuple[OrderDetail, LineChoices]:
    """An order, and for its edit form the names of the products on the order or typed in ``skus``,
    and the locations. Raises ``OrderNotFound``."""
    async with db.read() as session:
        detail = await queries.get_order(session, order_id)
        names = {line.sku: line.name for line in detail.lines}
        names |= await _names(session, [sku for sku in skus if sku not in names])
        return detail, LineChoices(names, await _locations(session))
