"""The product a scan or a search names, for the forms that build an order's lines (staff entry,
editing an order): an exact SKU or barcode, else the products whose name matches."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog import listing
from backend.catalog.models import Product
from backend.catalog.service import ProductView
from backend.i18n.translation import N_

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
