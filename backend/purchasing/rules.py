"""Purchase order states. Pure Python."""

from __future__ import annotations

from enum import StrEnum

from backend.i18n import N_


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
