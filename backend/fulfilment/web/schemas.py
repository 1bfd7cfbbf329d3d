"""JSON shapes of the fulfilment API. Each move answers the order as the orders API does
(``OrderOut``: its new ``status`` and ``version``), with what the move adds."""

from __future__ import annotations

from typing import Annotated

import msgspec

from backend.orders.web.schemas import ORDER_EXAMPLE, OrderOut

Code = Annotated[str, msgspec.Meta(max_length=200)]  # longer is refused by the rules, with a message
Version = int | None


class StartIn(msgspec.Struct, forbid_unknown_fields=True):
    version: Version = None


class PickedIn(msgspec.Struct, forbid_unknown_fields=True):
    """A scan (``barcode``) or a tap (``sku``) of ``quantity`` units."""

    quantity: int = 1
    sku: Code | None = None
    barcode: Code | None = None
    version: Version = None


class ShortIn(msgspec.Struct, forbid_unknown_fields=True):
    """Only ``found`` units of the line are on the shelf (in all)."""

    found: int
    sku: Code | None = None
    barcode: Code | None = None
    version: Version = None


class PackIn(msgspec.Struct, forbid_unknown_fields=True):
    parcels: int
    weight_g: int
    version: Version = None


class ShipIn(msgspec.Struct, forbid_unknown_fields=True):
    carrier: Annotated[str, msgspec.Meta(max_length=64)]
    tracking_number: Annotated[str, msgspec.Meta(max_length=1000)]
    version: Version = None


class CollectIn(msgspec.Struct, forbid_unknown_fields=True):
    """The customer's pickup ``code``; or, for a customer without it, ``identity_checked: true``
    with ``identity_note``, the identity document staff checked (e.g. "ID card", at most 100
    characters), kept on the order's timeline with who checked it. One or the other, not both."""

    code: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    version: Version = None
    identity_checked: bool | None = None
    identity_note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class StartedOut(OrderOut):
    batch_id: int


class PickedOut(OrderOut):
    sku: str
    picked_quantity: int  # of this line, now
    quantity: int  # ordered
    all_picked: bool  # every line of the order: it may be packed


class ReadyOut(OrderOut):
    pickup_code: str


class CarrierOut(msgspec.Struct):
    code: str
    name: str
    tracking_url: str


START_EXAMPLE = {"version": 2}
STARTED_EXAMPLE = {**ORDER_EXAMPLE, "status": "picking", "version": 3, "batch_id": 7}
PICKED_IN_EXAMPLE = {"barcode": "3760001234567", "quantity": 2}
PICKED_EXAMPLE = {
    **ORDER_EXAMPLE,
    "status": "picking",
    "version": 4,
    "sku": "APPLE-GALA",
    "picked_quantity": 6,
    "quantity": 6,
    "all_picked": True,
}
SHORT_EXAMPLE = {"sku": "APPLE-GALA", "found": 4}
PACK_EXAMPLE = {"parcels": 1, "weight_g": 1800, "version": 4}
SHIP_EXAMPLE = {"carrier": "colissimo", "tracking_number": "6A12345678901", "version": 5}
READY_EXAMPLE = {**ORDER_EXAMPLE, "status": "ready_for_pickup", "version": 6, "pickup_code": "482913"}
COLLECT_EXAMPLE = {"code": "482913"}
CARRIERS_EXAMPLE = [{"code": "colissimo", "name": "La Poste Colissimo", "tracking_url": "https://…{number}"}]
