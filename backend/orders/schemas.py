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


class OrderListOut(msgspec.Struct):
    items: list[OrderOut]
    next_cursor: str | None
