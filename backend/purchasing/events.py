"""What the purchasing domain records, one Struct per event type, and the sentence each one reads as."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.i18n.translation import N_
from backend.kernel.events import DomainEvent, Sentence, says


class SupplierCreated(DomainEvent, tag="supplier.created"):
    name: str


class SupplierUpdated(DomainEvent, tag="supplier.updated"):
    name: str
    changes: dict[str, list[Any]]  # field → [before, after]


class PurchaseCreated(DomainEvent, tag="purchasing.created"):
    number: str


class PurchaseLineAdded(DomainEvent, tag="purchasing.line_added"):
    number: str
    product_id: int
    sku: str
    quantity: int


class PurchaseLineRemoved(DomainEvent, tag="purchasing.line_removed"):
    number: str
    sku: str


class PurchaseSent(DomainEvent, tag="purchasing.sent"):
    number: str


class PurchaseCancelled(DomainEvent, tag="purchasing.cancelled"):
    number: str


class Received(msgspec.Struct, frozen=True):
    product_id: int
    quantity: int


class PurchaseReceived(DomainEvent, tag="purchasing.received"):
    number: str
    status: str  # the purchase order's, after this delivery
    lines: tuple[Received, ...]


class ReorderDrafted(DomainEvent, tag="purchasing.reorder_drafted"):
    """Stock ran below its reorder point: a line was added to the supplier's draft order."""

    number: str
    product_id: int
    location_id: int
    quantity: int


EVENTS: tuple[type[DomainEvent], ...] = (
    SupplierCreated,
    SupplierUpdated,
    PurchaseCreated,
    PurchaseLineAdded,
    PurchaseLineRemoved,
    PurchaseSent,
    PurchaseCancelled,
    PurchaseReceived,
    ReorderDrafted,
)
SENTENCES: dict[type[DomainEvent], Sentence] = {
    SupplierCreated: says(N_("%(actor)s added the supplier %(name)s")),
    SupplierUpdated: says(N_("%(actor)s updated the supplier %(name)s")),
    PurchaseCreated: says(N_("%(actor)s drafted purchase order %(number)s")),
    PurchaseLineAdded: says(N_("%(actor)s added %(quantity)d × %(sku)s to purchase order %(number)s")),
    PurchaseLineRemoved: says(N_("%(actor)s removed %(sku)s from purchase order %(number)s")),
    PurchaseSent: says(N_("%(actor)s sent purchase order %(number)s")),
    PurchaseCancelled: says(N_("%(actor)s cancelled purchase order %(number)s")),
    PurchaseReceived: says(N_("%(actor)s received goods for purchase order %(number)s")),
    ReorderDrafted: says(N_("Stock ran low: %(quantity)d more on purchase order %(number)s")),
}
