"""What the inventory domain records, one Struct per event type, and the sentence each one reads as."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.i18n.translation import N_
from backend.kernel.events import DomainEvent, Sentence, says


class LocationCreated(DomainEvent, tag="location.created"):
    code: str


class LocationUpdated(DomainEvent, tag="location.updated"):
    code: str
    changes: dict[str, list[Any]]  # field → [before, after]


class StockAdjusted(DomainEvent, tag="stock.adjusted"):
    sku: str
    location: str
    delta: int
    reason: str


class StockTransferred(DomainEvent, tag="stock.transferred"):
    sku: str
    source: str
    target: str
    quantity: int


class StockBinSet(DomainEvent, tag="stock.bin_set"):
    sku: str
    location: str
    bin: str  # empty: no shelf position said


class StockBinsImported(DomainEvent, tag="stock.bins_imported"):
    rows: int  # lines of the file
    changed: int  # shelf positions that were not already so


class StockCounted(DomainEvent, tag="stock.counted"):
    location: str
    counted: int
    corrections: int


class StockReorderSet(DomainEvent, tag="stock.reorder_set"):
    sku: str
    location: str
    point: int
    quantity: int


class Level(msgspec.Struct, frozen=True):
    """A stock level's figures after a change."""

    product_id: int
    location_id: int
    on_hand: int
    reserved: int
    backordered: int
    reorder_point: int = 0  # events recorded before the point was part of them never show as low


class StockChanged(DomainEvent, tag="stock.changed"):
    """The levels a batch of commands changed, and each product's units available (product id as
    text → units), which open pages and caches take without asking the database."""

    levels: tuple[Level, ...]
    available: dict[str, int]


EVENTS: tuple[type[DomainEvent], ...] = (
    LocationCreated,
    LocationUpdated,
    StockAdjusted,
    StockTransferred,
    StockCounted,
    StockBinSet,
    StockBinsImported,
    StockReorderSet,
    StockChanged,
)
SENTENCES: dict[type[DomainEvent], Sentence] = {
    LocationCreated: says(N_("%(actor)s added the location %(code)s")),
    LocationUpdated: says(N_("%(actor)s updated the location %(code)s")),
    StockAdjusted: says(N_("%(actor)s adjusted %(sku)s at %(location)s by %(delta)+d: %(reason)s")),
    StockTransferred: says(N_("%(actor)s moved %(quantity)d × %(sku)s from %(source)s to %(target)s")),
    StockCounted: says(
        N_("%(actor)s counted %(counted)d products at %(location)s, %(corrections)d corrected")
    ),
    StockBinSet: says(N_("%(actor)s put %(sku)s at %(location)s on shelf %(bin)s")),
    StockBinsImported: says(N_("%(actor)s imported %(rows)d shelf positions, %(changed)d changed")),
    StockReorderSet: says(
        N_("%(actor)s set %(sku)s at %(location)s to reorder %(quantity)d below %(point)d")
    ),
}
