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
    bin: str | None  # the shelf position; null where none was given


class BinIn(msgspec.Struct, forbid_unknown_fields=True):
    """Where a product sits on a location's shelves (``bin``: up to 32 letters, digits, spaces,
    dots, dashes or slashes, stored in upper case; empty or null clears it). ``location`` is a
    location code; left out, the default. ``seen_bin``, when given, is the position the caller
    last saw ("" for none): if it changed meanwhile, nothing is written and the answer is 409."""

    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    bin: Annotated[str, msgspec.Meta(max_length=200)] | None
    location: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None
    seen_bin: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class BinOut(msgspec.Struct):
    sku: str
    location: str
    bin: str | None


ADJUSTMENT_EXAMPLE = {"sku": "APPLE-GALA", "delta": -2, "reason": "Bruised in the crate", "location": "ENT"}
LEVEL_EXAMPLE = {
    "sku": "APPLE-GALA",
    "location": "ENT",
    "on_hand": 38,
    "reserved": 5,
    "available": 33,
    "backordered": 0,
}
LOCATION_LEVELS_EXAMPLE = [
    {**{key: value for key, value in LEVEL_EXAMPLE.items() if key != "sku"}, "bin": "A-03-2"}
]
BIN_EXAMPLE = {"sku": "APPLE-GALA", "location": "ENT", "bin": "A-03-2", "seen_bin": ""}
BIN_OUT_EXAMPLE = {"sku": "APPLE-GALA", "location": "ENT", "bin": "A-03-2"}
