"""What the catalog domain records, one Struct per event type, and the sentence each one reads as."""

from __future__ import annotations

from typing import Any

from backend.i18n.translation import N_
from backend.kernel.events import DomainEvent, Sentence, says


class ProductCreated(DomainEvent, tag="product.created"):
    """The product's row as pages show it, so they redraw it without asking the database."""

    category: str | None
    sku: str
    name: str
    price_minor: int
    currency: str
    active: bool


class ProductUpdated(ProductCreated, tag="product.updated"):
    changes: dict[str, list[Any]]  # field → [before, after]


class ProductPhotoChanged(DomainEvent, tag="product.photo_changed"):
    sku: str
    name: str


class CatalogImported(DomainEvent, tag="catalog.imported"):
    filename: str
    created: int
    updated: int
    unchanged: int


EVENTS: tuple[type[DomainEvent], ...] = (ProductCreated, ProductUpdated, ProductPhotoChanged, CatalogImported)
SENTENCES: dict[type[DomainEvent], Sentence] = {
    ProductCreated: says(N_("%(actor)s added %(name)s to the catalog")),
    ProductUpdated: says(N_("%(actor)s updated %(name)s")),
    ProductPhotoChanged: says(N_("%(actor)s changed the photo of %(name)s")),
    CatalogImported: says(
        N_("%(actor)s imported %(filename)s: %(created)d added, %(updated)d updated, %(unchanged)d unchanged")
    ),
}
