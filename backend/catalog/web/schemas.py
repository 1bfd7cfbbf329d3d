"""JSON shapes of the catalog API."""

from __future__ import annotations

from typing import Annotated

import msgspec

Sku = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
PriceMinor = Annotated[int, msgspec.Meta(ge=0, le=10**9)]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
TaxRate = Annotated[str, msgspec.Meta(max_length=8, description='A percentage, e.g. "20" or "5.5"')]


class ProductIn(msgspec.Struct, forbid_unknown_fields=True):
    sku: Sku
    name: Name
    price_minor: PriceMinor
    currency: Currency
    tax_rate: TaxRate = "0"
    category: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=5000)] = ""
    barcode: Annotated[str, msgspec.Meta(max_length=14)] | None = None
    active: bool = True
    allow_backorder: bool = False


class ProductPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields left out keep their value; ``version`` must be the one the client read."""

    version: Annotated[int, msgspec.Meta(ge=1)]
    sku: Sku | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    price_minor: PriceMinor | msgspec.UnsetType = msgspec.UNSET
    currency: Currency | msgspec.UnsetType = msgspec.UNSET
    tax_rate: TaxRate | msgspec.UnsetType = msgspec.UNSET
    category: Annotated[str, msgspec.Meta(max_length=80)] | msgspec.UnsetType | None = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=5000)] | msgspec.UnsetType = msgspec.UNSET
    barcode: Annotated[str, msgspec.Meta(max_length=14)] | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    allow_backorder: bool | msgspec.UnsetType = msgspec.UNSET


class ProductOut(msgspec.Struct):
    id: int
    sku: str
    name: str
    description: str
    price_minor: int
    currency: str
    tax_rate: str
    category: str | None
    barcode: str | None
    active: bool
    allow_backorder: bool
    version: int


class ProductList(msgspec.Struct):
    items: list[ProductOut]
    next_cursor: str | None


PRODUCT_IN_EXAMPLE = {
    "sku": "APPLE-GALA",
    "name": "Gala apple",
    "price_minor": 250,
    "currency": "EUR",
    "tax_rate": "5.5",
    "category": "Fruit",
    "description": "Crisp and sweet, from the Vexin.",
    "barcode": "3760123450017",
    "active": True,
    "allow_backorder": False,
}
PRODUCT_EXAMPLE = {"id": 7, **PRODUCT_IN_EXAMPLE, "version": 1}
PRODUCT_PATCH_EXAMPLE = {"version": 1, "price_minor": 275}
PRODUCT_LIST_EXAMPLE = {"items": [PRODUCT_EXAMPLE], "next_cursor": "7:Gala apple"}
