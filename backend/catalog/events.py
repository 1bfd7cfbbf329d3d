"""What the catalog domain records, one Struct per event type. None of them has a sentence of its
own yet: the feed names their type."""

from __future__ import annotations

from typing import Any

from backend.kernel.events import DomainEvent, Sentence


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
SENTENCES: dict[type[DomainEvent], Sentence] = {}
