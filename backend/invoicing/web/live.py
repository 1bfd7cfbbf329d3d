"""How invoicing's events reach open pages. People who see the team's activity or its orders hear
them (the feed and toasts as before); an invoice's open page asks for its main part again, and an
order's page its invoicing panel (``invoicing/_live_invoice.html``), whoever made the change: a
payment from another phone, Stripe's webhook, the cash a driver collected, a credit note."""

from __future__ import annotations

from dataclasses import dataclass

from backend.invoicing.events import EVENTS, BillingUpdated
from backend.kernel.events import ORDERS_TOPIC, STAFF_TOPIC, Event
from backend.web.site import TopicRule


@dataclass(frozen=True)
class Touched:
    """What an event changes that a page may show: invoices (or credit notes) and an order."""

    invoices: tuple[int, ...]
    order_id: int | None


def touched(event: Event) -> Touched:
    kind, _, raw = event.subject.partition(":")
    subject_id = int(raw) if raw.isdigit() else None
    invoices = [subject_id] if kind == "invoice" and subject_id else []
    payload = event.payload
    for name in ("invoice_id", "credit_note_id"):
        found = getattr(payload, name, None)
        if isinstance(found, int) and found not in invoices:
            invoices.append(found)
    order_id = getattr(payload, "order_id", None)
    if not isinstance(order_id, int):
        order_id = subject_id if kind == "order" else None
    return Touched(tuple(invoices), order_id)


def _to_team(event: Event) -> set[str]:
    return {STAFF_TOPIC, ORDERS_TOPIC}


TOPIC_RULES: tuple[tuple[str, TopicRule], ...] = tuple(
    (pattern, _to_team) for pattern in ("invoice.*", "payment.*", "refund.*")
)
FRAGMENTS = {
    event.__struct_config__.tag: ["invoicing/_live_invoice.html"]
    for event in EVENTS
    if event is not BillingUpdated
}
