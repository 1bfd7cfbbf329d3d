"""What the order operations hand back: plain, frozen values, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.orders.models import Order, OrderLine


@dataclass(frozen=True)
class PlacedOrder:
    id: int
    number: str
    status: str
    total_minor: int
    currency: str
    version: int
    tracking_token: str  # shown once: only its hash is stored
    risk_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderSummary:
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
    location_id: int
    location_code: str
    net_minor: int
    tax_minor: int
    total_minor: int
    currency: str
    risk_reasons: tuple[str, ...]
    external_ref: str | None
    version: int
    placed_at: datetime
    updated_at: datetime
    delivery_slot_start: datetime | None = None  # the slot chosen for a delivery, if any
    delivery_slot_end: datetime | None = None


@dataclass(frozen=True)
class LineView:
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate_centi: int
    net_minor: int
    tax_minor: int
    total_minor: int
    backordered: int


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    at: datetime
    type: str
    actor_id: int | None
    actor_name: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class OrderDetail:
    summary: OrderSummary
    address: dict[str, Any] | None
    notes: str
    lines: list[LineView]
    timeline: list[TimelineEntry]


def summary_of(order: Order, location_code: str) -> OrderSummary:
    return OrderSummary(
        id=order.id,
        number=order.number,
        status=order.status,
        channel=order.channel,
        fulfilment_mode=order.fulfilment_mode,
        priority=order.priority,
        payment_method=order.payment_method,
        customer_id=order.customer_id,
        customer_name=order.customer_name,
        email=order.email,
        phone=order.phone,
        location_id=order.location_id,
        location_code=location_code,
        net_minor=order.net_minor,
        tax_minor=order.tax_minor,
        total_minor=order.total_minor,
        currency=order.currency,
        risk_reasons=tuple(order.risk_reasons or ()),
        external_ref=order.external_ref,
        version=order.version,
        placed_at=order.placed_at,
        updated_at=order.updated_at,
        delivery_slot_start=order.delivery_slot_start,
        delivery_slot_end=order.delivery_slot_end,
    )


def line_of(line: OrderLine) -> LineView:
    return LineView(
        product_id=line.product_id,
        sku=line.sku,
        name=line.name,
        quantity=line.quantity,
        unit_price_minor=line.unit_price_minor,
        tax_rate_centi=line.tax_rate_centi,
        net_minor=line.net_minor,
        tax_minor=line.tax_minor,
        total_minor=line.total_minor,
        backordered=line.backordered,
    )


def address_of(order: Order) -> dict[str, Any] | None:
    if order.address_line1 is None:
        return None
    return {
        "line1": order.address_line1,
        "city": order.address_city,
        "postal_code": order.address_postal_code,
        "country": order.address_country,
        "latitude": order.address_latitude,
        "longitude": order.address_longitude,
    }
