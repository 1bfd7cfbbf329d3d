"""Where the order service's problems show on an order form (the shop's checkout, staff entry).

Both forms name their fields alike; each brings its own wording for the problem codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from backend.i18n.translation import N_, current_timezone, gettext
from backend.orders.drafts import SLOT_HORIZON, DeliverySlot, slot_problems, slot_timing_problems
from backend.orders.errors import OutOfStock
from backend.orders.rules import FulfilmentMode
from backend.web.responses import FormErrors

FIELD_OF = {
    "customer.name": "name",
    "customer.email": "email",
    "customer.phone": "phone",
    "address": "line1",
    "address.line1": "line1",
    "address.city": "city",
    "address.postal_code": "postal_code",
    "address.country": "country",
    "location": "location",
    "payment_method": "payment",
    "fulfilment_mode": "mode",
    "priority": "priority",
    "notes": "notes",
    "slot": "slot",
}
SLOT_FIELDS = ("slot_date", "slot_from", "slot_to")  # a day and two times, in the shop's zone
SLOT_CODES = (
    "slot_invalid", "slot_too_long", "slot_incomplete", "slot_unreadable", "slot_past", "slot_too_far",
)  # fmt: skip


def read_slot(values: Mapping[str, str], now: datetime) -> DeliverySlot | dict[str, str] | None:
    """The delivery slot a form's day and times say (in the shop's time zone), None when all
    three are blank, or its problems (``{"slot": code}``): half typed, unreadable, ending before
    it starts, longer than a slot, already over or beyond the horizon."""
    day, start, end = (values.get(name, "").strip() for name in SLOT_FIELDS)
    if not (day or start or end):
        return None
    if not (day and start and end):
        return {"slot": "slot_incomplete"}
    try:
        if len(day) != 10 or max(len(start), len(end)) > 5:
            raise ValueError(day)
        zone = ZoneInfo(current_timezone.get())
        on = date.fromisoformat(day)
        slot = DeliverySlot(
            datetime.combine(on, time.fromisoformat(start), zone),
            datetime.combine(on, time.fromisoformat(end), zone),
        )
    except ValueError:
        return {"slot": "slot_unreadable"}
    problems = slot_problems(slot, FulfilmentMode.DELIVERY) or slot_timing_problems(slot, now)
    return problems or slot


def slot_days(now: datetime) -> dict[str, str]:
    """The first and last day a form's date picker offers (the shop's days)."""
    today = now.astimezone(ZoneInfo(current_timezone.get())).date()
    return {"min": today.isoformat(), "max": (today + SLOT_HORIZON).isoformat()}


def split_problems(
    problems: Mapping[str, str], message_for: Callable[[str], str]
) -> tuple[dict[str, str], list[str]]:
    """(form field → message, messages for the whole form); lines' problems belong to the whole."""
    fields: dict[str, str] = {}
    general: list[str] = []
    for path, code in problems.items():
        name = FIELD_OF.get(path)
        if name:
            fields.setdefault(name, message_for(code))
        elif (message := message_for(code)) not in general:
            general.append(message)
    return fields, general


def short_lines_errors(exc: OutOfStock) -> FormErrors:
    """One message for the whole form per line the stock cannot cover."""
    errors = FormErrors()
    for line in exc.short:
        values = {"available": line.available, "sku": line.sku}
        errors.add(None, gettext(N_("Only %(available)s left of %(sku)s.")) % values)
    return errors
