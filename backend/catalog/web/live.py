"""How catalog and stock events update open catalog pages."""

from __future__ import annotations

from dataclasses import dataclass

from backend.kernel.events import Event, subject_id
from backend.realtime.fragments import live_fragment, quiet
from backend.web.templating import environment


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
    data = event.data
    return LiveRow(
        id=subject_id(event) or 0,
        sku=data["sku"],
        name=data["name"],
        category=data.get("category"),
        price_minor=data["price_minor"],
        currency=data["currency"],
        active=data["active"],
    )


def register_live_updates() -> None:
    environment().globals["live_product_row"] = product_row
    for event_type in ("product.created", "product.updated"):
        live_fragment(event_type, "catalog/_live_product.html")
    live_fragment("stock.changed", "catalog/_live_stock.html")
    quiet("stock.changed")
