"""Staff order entry (phone orders, counter sales): the form's state between round trips.

The page keeps no state on the server: the lines travel in the form as (sku, quantity) pairs, and
every button (add a product, pick a customer, remove a line, place) posts the whole form back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.i18n.translation import N_
from backend.orders.drafts import MAX_LINE_QUANTITY, Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.rules import MODE_LABELS, Channel, FulfilmentMode, PaymentMethod, Priority
from backend.orders.web.form_fields import SLOT_FIELDS, read_slot
from backend.web import inputs

FIELDS = (
    "name", "email", "phone", "mode", "line1", "postal_code", "city", "country",
    "location", "payment", "priority", "notes", "term", "find", *SLOT_FIELDS,
)  # fmt: skip
MAX_LINES = 100


@dataclass
class Entry:
    values: dict[str, str] = field(default_factory=dict)
    lines: list[tuple[str, int]] = field(default_factory=list)  # sku → quantity, in the order added
    bad_quantities: set[str] = field(default_factory=set)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def mode(self) -> str:
        return self.get("mode") or FulfilmentMode.PICKUP.value  # a counter sale unless told otherwise

    def add(self, sku: str, quantity: int = 1) -> None:
        for n, (known, had) in enumerate(self.lines):
            if known == sku:
                self.lines[n] = (sku, min(had + quantity, MAX_LINE_QUANTITY))
                return
        if len(self.lines) < MAX_LINES:
            self.lines.append((sku, quantity))

    def remove(self, sku: str) -> None:
        self.lines = [line for line in self.lines if line[0] != sku]


def _quantity(raw: str) -> int | None:
    return inputs.parse_number(raw.strip())


def read(form: Any, fields: tuple[str, ...] = FIELDS) -> Entry:
    """The entry as the form sent it; a quantity that is not a whole number is kept as a problem."""
    entry = Entry({name: str(form.get(name) or "").strip()[:1000] for name in fields})
    skus, quantities = form.getall("sku", []), form.getall("quantity", [])
    for sku, raw in zip(skus, quantities, strict=False):
        quantity = _quantity(str(raw))
        if quantity is None:
            entry.bad_quantities.add(str(sku))
            quantity = 0
        entry.lines.append((str(sku)[:64], quantity))
    return entry


def draft_of(entry: Entry, now: datetime) -> OrderDraft | dict[str, str]:
    """The order to place; the order service checks every field and names what is wrong. The
    slot's day and times are the form's to read (a delivery's only): their problems come back."""
    slot = read_slot(entry.values, now) if entry.mode == FulfilmentMode.DELIVERY else None
    if isinstance(slot, dict):
        return slot
    address = None
    if entry.mode != FulfilmentMode.PICKUP:
        country = entry.get("country").upper()
        address = Address(entry.get("line1"), entry.get("city"), entry.get("postal_code"), country)
    return OrderDraft(
        customer=CustomerDetails(entry.get("name"), entry.get("email") or None, entry.get("phone") or None),
        lines=[WantedLine(sku, quantity) for sku, quantity in entry.lines],
        fulfilment_mode=entry.mode,
        payment_method=entry.get("payment"),
        channel=Channel.STAFF,
        address=address,
        location=entry.get("location") or None,
        priority=entry.get("priority") or Priority.NORMAL.value,
        notes=entry.get("notes"),
        slot=slot,
    )


def prefill_customer(entry: Entry, name: str, email: str | None, phone: str | None) -> None:
    entry.values.update(name=name, email=email or "", phone=phone or "", find="")


PAYMENTS = [method.value for method in PaymentMethod]
MODES = [mode.value for mode in FulfilmentMode]
PRIORITIES = [priority.value for priority in Priority]
PAYMENT_LABELS = {
    "card": N_("Card"),
    "paypal": N_("PayPal"),
    "bank_transfer": N_("Bank transfer"),
    "cash_on_delivery": N_("Cash on delivery"),
    "cash": N_("Cash"),
}
PRIORITY_LABELS = {"normal": N_("Normal"), "rush": N_("Rush")}
LABELS = {"mode": MODE_LABELS, "payment": PAYMENT_LABELS, "priority": PRIORITY_LABELS}
