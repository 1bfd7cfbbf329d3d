"""Return rules. Pure Python: the statuses and the moves between them, the reasons and
conditions, how many units of a line may still come back, the return window, and what a line's
units are worth.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from backend.i18n.translation import N_
from backend.orders.pricing import divide_half_up
from backend.orders.rules import OrderStatus

DEFAULT_WINDOW_DAYS = 14  # the legal withdrawal period for distance sales (Code de la consommation)
MAX_WINDOW_DAYS = 365
MAX_NOTE = 500


class ReturnStatus(StrEnum):
    REQUESTED = "requested"  # the customer asked; the shop decides
    APPROVED = "approved"  # the goods may come back
    REFUSED = "refused"  # with the shop's note; nothing comes back
    RECEIVED = "received"  # inspected: each line restocked or scrapped
    REFUNDED = "refunded"  # credit note and money back


class Reason(StrEnum):
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    NO_LONGER_NEEDED = "no_longer_needed"
    OTHER = "other"


class Condition(StrEnum):
    AS_NEW = "as_new"  # back on the shelf
    OPENED = "opened"  # back on the shelf, sold as it is
    DAMAGED = "damaged"  # scrapped


S = ReturnStatus
# THE moves: (from, to). Nothing else decides.
MOVES = frozenset(
    {
        (S.REQUESTED, S.APPROVED),
        (S.REQUESTED, S.REFUSED),
        (S.APPROVED, S.RECEIVED),
        (S.RECEIVED, S.REFUNDED),
    }
)
OPEN = frozenset({S.REQUESTED, S.APPROVED, S.RECEIVED})  # still waiting for the shop
# An order's units may come back once the customer has them.
RETURNABLE_ORDER_STATUSES = frozenset({OrderStatus.DELIVERED, OrderStatus.PICKED_UP})

STATUS_LABELS: Mapping[str, str] = {
    S.REQUESTED: N_("Requested"),
    S.APPROVED: N_("Approved"),
    S.REFUSED: N_("Refused"),
    S.RECEIVED: N_("Received"),
    S.REFUNDED: N_("Refunded"),
}
REASON_LABELS: Mapping[str, str] = {
    Reason.DAMAGED: N_("Arrived damaged"),
    Reason.WRONG_ITEM: N_("Wrong item"),
    Reason.NOT_AS_DESCRIBED: N_("Not as described"),
    Reason.NO_LONGER_NEEDED: N_("No longer needed"),
    Reason.OTHER: N_("Other"),
}
CONDITION_LABELS: Mapping[str, str] = {
    Condition.AS_NEW: N_("As new: restock"),
    Condition.OPENED: N_("Opened: restock"),
    Condition.DAMAGED: N_("Damaged: scrap"),
}
RESTOCKED_CONDITIONS = frozenset({Condition.AS_NEW, Condition.OPENED})

MESSAGES: Mapping[str, str] = {
    "lines_required": N_("Choose at least one line and how many units come back."),
    "not_on_order": N_("This product is not on the order."),
    "quantity_invalid": N_("Enter a whole number of units from 1."),
    "above_delivered": N_("More units than were delivered and not yet returned."),
    "reason_invalid": N_("Choose a reason."),
    "note_too_long": N_("This is too long."),
    "note_required": N_("Say why."),
    "not_delivered": N_("Only delivered or collected orders can be returned."),
    "window_closed": N_("The return window for this order has closed."),
    "condition_invalid": N_("Choose the condition of each line."),
    "conditions_required": N_("Say the condition of every line."),
    "move_not_allowed": N_("This return cannot make that move now."),
    "window_invalid": N_("Enter a number of days from 0 to 365."),
    "nothing_to_refund": N_("There is nothing to refund."),
    "refund_above_paid": N_("The refund is more than what was paid."),
    "amount_invalid": N_("Enter an amount from 0.01."),
    "method_invalid": N_("Choose how the money goes back."),
    "stale": N_("The return changed since you read it."),
    "forbidden": N_("You are not allowed to do that."),
}


def move_problem(current: str, wanted: str) -> str | None:
    return None if (current, wanted) in MOVES else "move_not_allowed"


def returnable_units(delivered: int, already_returned: int) -> int:
    """Units of a line that may still come back: those delivered, less those in returns that were
    not refused."""
    return max(delivered - already_returned, 0)


def window_open(delivered_at: datetime | None, now: datetime, window_days: int) -> bool:
    return delivered_at is not None and now <= delivered_at + timedelta(days=window_days)


def units_value(line_total_minor: int, line_quantity: int, units: int) -> int:
    """What ``units`` of a line cost the customer, tax included, its share rounded half up."""
    return divide_half_up(line_total_minor * units, line_quantity)


def note_problem(note: str, required: bool) -> str | None:
    if len(note) > MAX_NOTE or "\x00" in note:
        return "note_too_long"
    if required and not note.strip():
        return "note_required"
    return None


def window_problem(days: int) -> str | None:
    return None if 0 <= days <= MAX_WINDOW_DAYS else "window_invalid"


def return_rate(returned: int, sold: int) -> float:
    """Returned units per unit sold, 0 when nothing was sold."""
    return returned / sold if sold > 0 else 0.0
