"""JSON shapes of the orders API. Unknown fields are ignored on input: a client that sends prices
or totals is not refused, but they are never read — the catalog prices every order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

Text = Annotated[str, msgspec.Meta(max_length=1000)]


class CustomerIn(msgspec.Struct):
    name: Text
    email: Text | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class LineIn(msgspec.Struct):
    sku: Annotated[str, msgspec.Meta(max_length=64)]
    quantity: int


class AddressIn(msgspec.Struct):
    line1: Text
    city: Text
    postal_code: Text
    country: Annotated[str, msgspec.Meta(max_length=8)]
    latitude: float | None = None
    longitude: float | None = None


class SlotIn(msgspec.Struct, forbid_unknown_fields=True):
    """When a delivery may arrive (aware moments, at most 12 hours apart)."""

    start: datetime
    end: datetime


class OrderIn(msgspec.Struct):
    customer: CustomerIn
    lines: list[LineIn]
    fulfilment_mode: str
    payment_method: str
    address: AddressIn | None = None
    location: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    channel: str = "api"
    external_ref: Text | None = None
    priority: str = "normal"
    notes: Text = ""
    delivery_slot: SlotIn | None = None


class PlacedOut(msgspec.Struct):
    id: int
    number: str
    status: str
    total_minor: int
    currency: str
    tracking_url: str
    version: int


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    version: int | None = None
    reason: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class OrderPatch(msgspec.Struct, forbid_unknown_fields=True):
    """What is left out stays as it is; ``lines`` is the whole new basket."""

    version: Annotated[int, msgspec.Meta(ge=1)]
    lines: list[LineIn] | msgspec.UnsetType = msgspec.UNSET
    address: AddressIn | msgspec.UnsetType = msgspec.UNSET
    location: Annotated[str, msgspec.Meta(max_length=32)] | msgspec.UnsetType = msgspec.UNSET


class OrderOut(msgspec.Struct):
    id: int
    number: str
    status: str
    channel: str
    fulfilment_mode: str
    priority: str
    payment_method: str
    customer_id: int
    customer_name: str
    email: str | None
    phone: str | None
    location: str
    net_minor: int
    tax_minor: int
    total_minor: int
    currency: str
    risk_reasons: list[str]
    external_ref: str | None
    version: int
    placed_at: datetime
    updated_at: datetime


class LineOut(msgspec.Struct):
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate: str
    net_minor: int
    tax_minor: int
    total_minor: int
    backordered: int
    picked_quantity: int = 0  # units picked so far (fulfilment)


class TimelineOut(msgspec.Struct):
    id: int
    at: datetime
    type: str
    actor: str | None
    data: dict[str, Any]


class OrderDetailOut(OrderOut):
    address: dict[str, Any] | None
    notes: str
    lines: list[LineOut]
    timeline: list[TimelineOut]
    # How it was packed and handed over, once it was (fulfilment); null before.
    parcels: int | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    # Facts the domains above orders add (``order_facts``); null when the app has none of them.
    paid_minor: int | None = None  # invoicing: paid, net of refunds
    balance_minor: int | None = None  # invoicing: still owed (negative: owed back, kept as credit)


class OrderListOut(msgspec.Struct):
    items: list[OrderOut]
    next_cursor: str | None


ORDER_IN_EXAMPLE = {
    "customer": {"name": "Ada Martin", "email": "ada@example.com", "phone": "+33 6 12 34 56 78"},
    "lines": [{"sku": "APPLE-GALA", "quantity": 6}],
    "fulfilment_mode": "delivery",
    "payment_method": "card",
    "address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"},
    "priority": "normal",
    "notes": "Ring twice.",
    "external_ref": "WEB-1042",
    "delivery_slot": {"start": "2026-12-14T14:00:00+01:00", "end": "2026-12-14T17:00:00+01:00"},
}
PLACED_EXAMPLE = {
    "id": 42,
    "number": "C-000042",
    "status": "placed",
    "total_minor": 1500,
    "currency": "EUR",
    "tracking_url": "https://shop.example/t/8Zk1o2rY5c0fQ",
    "version": 1,
}
ORDER_EXAMPLE = {
    "id": 42,
    "number": "C-000042",
    "status": "accepted",
    "channel": "api",
    "fulfilment_mode": "delivery",
    "priority": "normal",
    "payment_method": "card",
    "customer_id": 12,
    "customer_name": "Ada Martin",
    "email": "ada@example.com",
    "phone": "+33 6 12 34 56 78",
    "location": "ENT",
    "net_minor": 1422,
    "tax_minor": 78,
    "total_minor": 1500,
    "currency": "EUR",
    "risk_reasons": [],
    "external_ref": "WEB-1042",
    "version": 2,
    "placed_at": "2026-03-02T09:14:05Z",
    "updated_at": "2026-03-02T09:20:41Z",
}
ORDER_DETAIL_EXAMPLE = {
    **ORDER_EXAMPLE,
    "address": ORDER_IN_EXAMPLE["address"],
    "notes": "Ring twice.",
    "lines": [
        {
            "sku": "APPLE-GALA",
            "name": "Gala apple",
            "quantity": 6,
            "unit_price_minor": 250,
            "tax_rate": "5.5",
            "net_minor": 1422,
            "tax_minor": 78,
            "total_minor": 1500,
            "backordered": 0,
            "picked_quantity": 6,
        }
    ],
    "timeline": [
        {"id": 301, "at": "2026-03-02T09:14:05Z", "type": "order.placed", "actor": None, "data": {}},
        {
            "id": 305,
            "at": "2026-03-02T09:20:41Z",
            "type": "order.accepted",
            "actor": "Sami Staff",
            "data": {},
        },
    ],
    "parcels": 1,
    "carrier": "colissimo",
    "tracking_number": "6A12345678901",
    "paid_minor": 1000,
    "balance_minor": 500,
}
ORDER_LIST_EXAMPLE = {"items": [ORDER_EXAMPLE], "next_cursor": "41"}
TRANSITION_EXAMPLE = {"version": 1, "reason": "Customer asked to wait for payday"}
ORDER_PATCH_EXAMPLE = {"version": 2, "lines": [{"sku": "APPLE-GALA", "quantity": 4}], "location": "BTQ"}
