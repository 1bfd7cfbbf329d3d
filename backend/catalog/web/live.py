"""How catalog and stock events update open catalog pages."""

from __future__ import annotations

from dataclasses import dataclass

from backend.catalog.events import ProductCreated
from backend.kernel.events import Event, subject_id


@dataclass(frozen=True)
class LiveRow:
    """The fields of a product row, read from the event rather than the database."""

    id: int
    sku: str
    name: str
    category: str | None
    price_minor: int
    currency: str
    active: bool


def product_row(event: Event) -> LiveRow:
    row: ProductCreated = event.payload  # or ProductUpdated, its subclass
    return LiveRow(
        id=subject_id(event) or 0,
        sku=row.sku,
        name=row.name,
        category=row.category,
        price_minor=row.price_minor,
        currency=row.currency,
        active=row.active,
    )


FRAGMENTS = {
    "product.created": ["catalog/_live_product.html"],
    "product.updated": ["catalog/_live_product.html"],
    "stock.changed": ["catalog/_live_stock.html"],
}
QUIET = ("stock.changed",)  # a figure moving with every sale is not news
TEMPLATE_GLOBALS = {"live_product_row": product_row}
