"""What a valid order looks like, whatever the channel: the draft a channel asks for, its
normalisation, and every problem it has, field path → code (the words are ``rules.MESSAGES``).
Pure Python, like the other order rules.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from backend.auth.rules import is_valid_email, normalise_email
from backend.customers.details import Address, CustomerDetails
from backend.orders.rules import Channel, FulfilmentMode, PaymentMethod, Priority
from backend.web import inputs

MAX_LINES = 100
MAX_LINE_QUANTITY = 10_000  # more than this on one line is a typing mistake, not a basket
MAX_NOTES = 1000
PHONE_PATTERN = re.compile(r"^\+?[0-9]{6,15}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
MAX_SLOT = timedelta(hours=12)  # a "slot" longer than this is a day, not a promise
SLOT_HORIZON = timedelta(days=30)  # how far ahead a form offers a slot: a promise the shop can plan


@dataclass(frozen=True)
class DeliverySlot:
    """When a delivery may arrive: from ``start`` to ``end`` (aware moments)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class WantedLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderDraft:
    """What a channel asks for. Prices are never part of it: the catalog decides them."""

    customer: CustomerDetails
    lines: list[WantedLine]
    fulfilment_mode: FulfilmentMode | str
    payment_method: PaymentMethod | str
    channel: Channel | str = Channel.API
    address: Address | None = None
    location: str | None = None  # a location code; the nearest that can serve is chosen when absent
    priority: Priority | str = Priority.NORMAL
    notes: str = ""
    external_ref: str | None = None
    slot: DeliverySlot | None = None  # delivery orders only


class OrderRejected(Exception):
    """The request itself is wrong (field → problem code); nothing was written."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


def normalise_phone(raw: str) -> str:
    """Spaces, dots, dashes and brackets are how people write numbers, not part of them."""
    return re.sub(r"[\s.\-()/]", "", raw)


def normalise_customer(details: CustomerDetails) -> CustomerDetails:
    email = normalise_email(details.email) if details.email else None
    phone = normalise_phone(details.phone) if details.phone else None
    return CustomerDetails(details.name.strip(), email or None, phone or None)


def normalise_address(address: Address) -> Address:
    return Address(
        address.line1.strip(),
        address.city.strip(),
        address.postal_code.strip(),
        address.country.strip().upper(),
        address.latitude,
        address.longitude,
    )


def quantity_problem(quantity: object) -> str | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return "quantity_not_whole"
    if quantity < 1:
        return "quantity_not_positive"
    return "quantity_too_large" if quantity > MAX_LINE_QUANTITY else None


def customer_problems(customer: CustomerDetails) -> dict[str, str]:
    problems = {}
    if inputs.is_blank(customer.name) or len(customer.name) > 120:
        problems["customer.name"] = "name_required"
    if not customer.email and not customer.phone:
        problems["customer.email"] = "contact_required"
    if customer.email and not is_valid_email(customer.email):
        problems["customer.email"] = "email_invalid"
    if customer.phone and not PHONE_PATTERN.match(customer.phone):
        problems["customer.phone"] = "phone_invalid"
    return problems


def address_problems(address: Address | None, mode: str) -> dict[str, str]:
    if address is None:
        return {"address": "address_required"} if mode != FulfilmentMode.PICKUP else {}
    problems = {
        f"address.{name}": "address_field_required"
        for name in ("line1", "city", "postal_code")
        if inputs.is_blank(getattr(address, name)) or len(getattr(address, name)) > 200
    }
    if not COUNTRY_PATTERN.match(address.country):
        problems["address.country"] = "country_invalid"
    for name, bound in (("latitude", 90), ("longitude", 180)):
        value = getattr(address, name)
        if value is not None and not -bound <= value <= bound:
            problems[f"address.{name}"] = "coordinate_invalid"
    return problems


def slot_problems(slot: DeliverySlot | None, mode: str) -> dict[str, str]:
    if slot is None:
        return {}
    if mode != FulfilmentMode.DELIVERY:
        return {"slot": "slot_not_for_mode"}
    if slot.start.tzinfo is None or slot.end.tzinfo is None or slot.end <= slot.start:
        return {"slot": "slot_invalid"}
    return {"slot": "slot_too_long"} if slot.end - slot.start > MAX_SLOT else {}


def slot_timing_problems(slot: DeliverySlot, now: datetime) -> dict[str, str]:
    """A slot chosen on a form: not over already, and within the horizon the shop plans."""
    if slot.end <= now:
        return {"slot": "slot_past"}
    return {"slot": "slot_too_far"} if slot.start > now + SLOT_HORIZON else {}


def lines_problems(lines: list[WantedLine]) -> dict[str, str]:
    if not lines:
        return {"lines": "lines_empty"}
    if len(lines) > MAX_LINES:
        return {"lines": "too_many_lines"}
    problems = {}
    for n, line in enumerate(lines):
        if not line.sku.strip():
            problems[f"lines[{n}].sku"] = "sku_required"
        if problem := quantity_problem(line.quantity):
            problems[f"lines[{n}].quantity"] = problem
    return problems


@functools.cache
def _values(choices: type[StrEnum]) -> frozenset[str]:
    return frozenset(choice.value for choice in choices)  # walking an enum class is slow: once


def _choice_problem(value: object, choices: type[StrEnum]) -> bool:
    return value not in _values(choices)


def draft_problems(draft: OrderDraft) -> dict[str, str]:
    """Every problem of a draft at once, field path → code; empty when it may be placed."""
    problems: dict[str, str] = {}
    for name, value, choices in (
        ("fulfilment_mode", draft.fulfilment_mode, FulfilmentMode),
        ("payment_method", draft.payment_method, PaymentMethod),
        ("channel", draft.channel, Channel),
        ("priority", draft.priority, Priority),
    ):
        if _choice_problem(value, choices):
            problems[name] = f"{name}_invalid"
    problems |= customer_problems(draft.customer)
    problems |= address_problems(draft.address, str(draft.fulfilment_mode))
    problems |= slot_problems(draft.slot, str(draft.fulfilment_mode))
    problems |= lines_problems(draft.lines)
    if len(draft.notes) > MAX_NOTES:
        problems["notes"] = "notes_too_long"
    if draft.external_ref is not None and not 1 <= len(draft.external_ref) <= 100:
        problems["external_ref"] = "external_ref_invalid"
    return problems
