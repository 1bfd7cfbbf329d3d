"""Finding the product a stock form is about the way the catalog does: by name, SKU or barcode.

An exact SKU or barcode (what a scanner types) names one product at once; anything else is a
catalog search whose results the person chooses from. A stock change is written as soon as the
form is sent, so a name never picks a product by itself, even when only one matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog import listing, search
from backend.catalog.models import Product
from backend.catalog.service import ProductView
from backend.inventory import levels

CHOICES = 8
MAX_TERM = 100


@dataclass(frozen=True)
class Picked:
    term: str
    product: Product | None = None  # the one product an exact SKU or barcode names
    choices: list[ProductView] = field(default_factory=list)  # otherwise, what the search found

    @property
    def problem(self) -> str | None:
        """Why no product is chosen yet, for the form's message."""
        if self.product is not None:
            return None
        return "choose_product" if self.choices else "no_product_matches"


async def pick(session: AsyncSession, typed: str) -> Picked:
    term = typed.strip()[:MAX_TERM]
    product = await levels.find_product(session, term)
    if product is not None or not search.clean(term):
        return Picked(term, product)
    # Archived products too: what is left of them on the shelves still needs counting and moving.
    query = listing.ProductQuery(term, include_archived=True, limit=CHOICES)
    return Picked(term, None, (await listing.list_products(session, query)).items)
