"""Editing an order from its page: the form's state between round trips (read like staff entry's,
lines as (sku, quantity) pairs) and the ``OrderEdit`` it asks for when saved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backend.inventory.models import Location
from backend.orders.drafts import Address, OrderRejected, WantedLine, normalise_address
from backend.orders.editing import OrderEdit
from backend.orders.rules import FulfilmentMode
from backend.orders.views import OrderDetail
from backend.orders.web import entry_form as entries
from backend.orders.web.entry_form import Entry
from backend.web import inputs

FIELDS = ("version", "line1", "postal_code", "city", "country", "location", "term")
ADDRESS_FIELDS = ("line1", "postal_code", "city", "country")


def start(detail: OrderDetail) -> Entry:
    """The form as the order stands: what the person changes from."""
    address = detail.address or {}
    values = {name: str(address.get(name) or "") for name in ADDRESS_FIELDS}
    values |= {"version": str(detail.summary.version), "location": detail.summary.location_code}
    return Entry(values, [(line.sku, line.quantity) for line in detail.lines])


def read(form: Any) -> Entry:
    return entries.read(form, FIELDS)


def version_of(entry: Entry) -> int | None:
    raw = entry.get("version")
    return inputs.parse_number(raw)


def _typed_address(entry: Entry, detail: OrderDetail) -> Address | None:
    """The address typed, or None when it is the one the order has: sent again unchanged, it would
    drop the coordinates the order got it with."""
    if detail.summary.fulfilment_mode == FulfilmentMode.PICKUP:
        return None
    typed = normalise_address(
        Address(entry.get("line1"), entry.get("city"), entry.get("postal_code"), entry.get("country"))
    )
    current = detail.address or {}
    kept = (current.get("line1"), current.get("city"), current.get("postal_code"), current.get("country"))
    return None if (typed.line1, typed.city, typed.postal_code, typed.country) == kept else typed


def edit_of(entry: Entry, detail: OrderDetail) -> OrderEdit:
    """What saving the form changes; a quantity of 0 removes its line. Raises ``OrderRejected``
    for a quantity that is not a whole number."""
    if entry.bad_quantities:
        raise OrderRejected({"lines": "quantity_not_whole"})
    location = entry.get("location") or None
    return OrderEdit(
        lines=[WantedLine(sku, quantity) for sku, quantity in entry.lines if quantity],
        address=_typed_address(entry, detail),
        location=location if location != detail.summary.location_code else None,
    )


def location_choices(locations: Sequence[Location], mode: str) -> list[Location]:
    """Where the order may be served from: a pickup order only from a pickup point."""
    return [place for place in locations if mode != FulfilmentMode.PICKUP or place.is_pickup_point]
