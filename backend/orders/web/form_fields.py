"""Where the order service's problems show on an order form (the shop's checkout, staff entry).

Both forms name their fields alike; each brings its own wording for the problem codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from backend.i18n.translation import N_, gettext
from backend.orders.errors import OutOfStock
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
}


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
