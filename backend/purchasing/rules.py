"""Purchase orders and suppliers: states, what may change when, what is valid. Pure Python."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from backend.auth.rules import is_valid_email
from backend.i18n.translation import N_
from backend.inventory.rules import quantity_problem
from backend.web import inputs


class PurchaseStatus(StrEnum):
    DRAFT = "draft"  # being filled, by hand or by reorders; not yet with the supplier
    SENT = "sent"  # ordered from the supplier; goods expected
    PARTIALLY_RECEIVED = "partially_received"  # some lines or units have arrived
    RECEIVED = "received"  # everything arrived
    CANCELLED = "cancelled"  # will not arrive


OPEN_STATUSES = (PurchaseStatus.DRAFT, PurchaseStatus.SENT, PurchaseStatus.PARTIALLY_RECEIVED)
RECEIVABLE = (PurchaseStatus.SENT, PurchaseStatus.PARTIALLY_RECEIVED)

TRANSITIONS = {
    PurchaseStatus.DRAFT: {PurchaseStatus.SENT, PurchaseStatus.CANCELLED},
    PurchaseStatus.SENT: {
        PurchaseStatus.PARTIALLY_RECEIVED,
        PurchaseStatus.RECEIVED,
        PurchaseStatus.CANCELLED,
    },
    PurchaseStatus.PARTIALLY_RECEIVED: {PurchaseStatus.RECEIVED},
    PurchaseStatus.RECEIVED: set(),
    PurchaseStatus.CANCELLED: set(),
}

STATUS_LABELS = {
    PurchaseStatus.DRAFT: N_("Draft"),
    PurchaseStatus.SENT: N_("Sent"),
    PurchaseStatus.PARTIALLY_RECEIVED: N_("Partly received"),
    PurchaseStatus.RECEIVED: N_("Received"),
    PurchaseStatus.CANCELLED: N_("Cancelled"),
}


def can_move(current: PurchaseStatus, target: PurchaseStatus) -> bool:
    return target in TRANSITIONS[current]


def status_after_receiving(lines: list[tuple[int, int]]) -> PurchaseStatus:
    """``lines`` are (ordered, received) pairs."""
    if all(received >= ordered for ordered, received in lines):
        return PurchaseStatus.RECEIVED
    return PurchaseStatus.PARTIALLY_RECEIVED


# Lines may be added or removed only before the order goes to the supplier.
EDITABLE = (PurchaseStatus.DRAFT,)

MAX_LEAD_TIME_DAYS = 365

MESSAGES = {
    "name_required": N_("Enter a name."),
    "name_too_long": N_("Use at most 120 characters."),
    "name_taken": N_("Another supplier already has this name."),
    "invalid_email": N_("Enter a valid e-mail address."),
    "phone_too_long": N_("Use at most 40 characters."),
    "lead_time_range": N_("Enter a number of days between 0 and 365."),
    "unknown_supplier": N_("Choose a supplier from the list."),
    "unknown_location": N_("Choose a location from the list."),
    "unknown_product": N_("No product has this SKU or barcode."),
    "unknown_line": N_("This line is no longer on the order."),
    "not_a_whole_number": N_("Enter a whole number."),
    "not_positive": N_("Enter a number above zero."),
    "too_large": N_("Enter at most 1,000,000."),
    "over_outstanding": N_("More than is still expected (%(outstanding)s)."),
    "nothing_received": N_("Enter the quantity received for at least one line."),
    "not_draft": N_("Lines can change only while the order is a draft."),
    "no_lines": N_("Add at least one line before sending the order."),
    "not_receivable": N_("Goods can be received only for a sent order."),
    "illegal_transition": N_("This order cannot go from %(current)s to %(target)s."),
    "version_conflict": N_("Someone changed this order in the meantime. Review it and try again."),
    "supplier_changed": N_("Someone changed this supplier in the meantime. Review and try again."),
}

# Problems with the order's state rather than with what was typed: answered 409, not 400.
STATE_PROBLEMS = frozenset(
    {"not_draft", "no_lines", "not_receivable", "illegal_transition", "version_conflict"}
)


@dataclass(frozen=True)
class SupplierInput:
    name: str
    email: str = ""
    phone: str = ""
    lead_time_days: int = 2


def supplier_problems(supplier: SupplierInput) -> dict[str, str]:
    found = {}
    if inputs.is_blank(supplier.name) or len(supplier.name) > 120:
        found["name"] = "name_required" if inputs.is_blank(supplier.name) else "name_too_long"
    if supplier.email and not is_valid_email(supplier.email):
        found["email"] = "invalid_email"
    if len(supplier.phone) > 40:
        found["phone"] = "phone_too_long"
    if not 0 <= supplier.lead_time_days <= MAX_LEAD_TIME_DAYS:
        found["lead_time_days"] = "lead_time_range"
    return found


def supplier_fingerprint(supplier: SupplierInput) -> str:
    """Stands in for a version column: the edit form carries it, a save checks it still matches."""
    raw = "\x1f".join((supplier.name, supplier.email, supplier.phone, str(supplier.lead_time_days)))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def can_edit_lines(status: PurchaseStatus) -> bool:
    return status in EDITABLE


def receipt_problems(outstanding: dict[int, int], received: dict[int, int]) -> dict[int, str]:
    """Line id → problem with the quantity received for it (each at most what is still expected)."""
    found = {}
    for line_id, quantity in received.items():
        if line_id not in outstanding:
            found[line_id] = "unknown_line"
        elif problem := quantity_problem(quantity):
            found[line_id] = problem
        elif quantity > outstanding[line_id]:
            found[line_id] = "over_outstanding"
    return found
