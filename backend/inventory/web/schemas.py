"""JSON shapes of the stock API."""

from __future__ import annotations

from typing import Annotated

import msgspec


class AdjustmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """A signed change of on-hand stock. ``location`` is a location code; left out, the default."""

    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    delta: int
    reason: Annotated[str, msgspec.Meta(max_length=200)]
    location: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None


class LevelOut(msgspec.Struct):
    sku: str
    location: str
    on_hand: int
    reserved: int
    available: int
    backordered: int


class LocationLevelOut(msgspec.Struct):
    location: str
    on_hand: int
    reserved: int
    available: int
    backordered: int


ADJUSTMENT_EXAMPLE = {"sku": "APPLE-GALA", "delta": -2, "reason": "Bruised in the crate", "location": "ENT"}
LEVEL_EXAMPLE = {
    "sku": "APPLE-GALA",
    "location": "ENT",
    "on_hand": 38,
    "reserved": 5,
    "available": 33,
    "backordered": 0,
}
LOCATION_LEVELS_EXAMPLE = [{key: value for key, value in LEVEL_EXAMPLE.items() if key != "sku"}]
