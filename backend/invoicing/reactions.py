"""What invoicing does when other domains' events say so, without those domains knowing it:

- **auto-invoice**: an order reaching the status the billing setting names (``auto_invoice_at``:
  when it leaves, or when the customer has it) is invoiced and the invoice issued;
- **pay before dispatch**: an accepted order whose payment method the shop wants paid first, and
  that is not paid, goes on hold with the reason ``AWAITING_PAYMENT``; the payment that settles it
  takes it off hold (back to accepted);
- **cash on delivery**: the cash a driver collects at a drop-off is recorded as the payment of the
  stop's cash-on-delivery orders.

Each reaction is a command (``react``) that is a no-op when it has been done already — the
invoice's ``client_ref`` (``auto-order-<id>``), the payment's ``provider_ref``
(``cod-<stop>-<order>``), the order's status — so the log may be read again (after a restart, or
by several processes at once) without anything happening twice. ``consumer.py`` reads the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from backend.auth.rules import Permission
from backend.delivery.models import StopOrder
from backend.invoicing import rules, service
from backend.invoicing.billing import load_billing
from backend.invoicing.errors import InvoiceRejected
from backend.invoicing.payments import PaymentInput, _order_due, _order_sums, record_payment
from backend.kernel import dead_letters
from backend.kernel.events import Event, EventCursor
from backend.kernel.tx import Tx
from backend.orders import service as orders
from backend.orders.errors import StaleOrder, TransitionRefused
from backend.orders.models import Order
from backend.orders.rules import Actor, OrderStatus

CONSUMER = "invoicing"
AWAITING_PAYMENT = "Awaiting payment"  # the hold's reason, as the order's timeline shows it
S = OrderStatus
# The setting → the statuses at which an order is invoiced by itself.
AUTO_STATUSES: Mapping[str, frozenset[OrderStatus]] = {
    "dispatch": frozenset({S.SHIPPED, S.OUT_FOR_DELIVERY, S.PICKED_UP}),
    "delivery": frozenset({S.DELIVERED, S.PICKED_UP}),
}
# Who acts in a reaction: the shop itself, with the rights these moves need.
SHOP = Actor(None, frozenset({Permission.INVOICES_MANAGE, Permission.ORDERS_MANAGE}))


@dataclass(frozen=True)
class Seen:
    """An event as a reaction needs it (plain data: commands may run in another process)."""

    id: int
    type: str
    subject: str
    data: dict[str, Any]


def seen(event: Event) -> Seen:
    return Seen(event.id, event.type, event.subject, dict(event.data or {}))


def concerns(event: Event) -> bool:
    """Whether invoicing may react to this event (the rest is skipped without a command)."""
    return event.type.startswith("order.") or event.type in {"payment.recorded", "delivery.dropped_off"}


def react(tx: Tx, events: tuple[Seen, ...]) -> int:
    """Each event's reaction, then the cursor after the last one; returns how many reacted."""
    settings = load_billing(tx)
    done = 0
    for event in events:
        done += _react(tx, event, settings.auto_invoice_at, settings.pay_before_dispatch)
    if events:
        move_cursor(tx, events[-1].id)
    return done


def _react(tx: Tx, event: Seen, auto_at: str, pay_first: tuple[str, ...]) -> int:
    subject_id = _id(event.subject)
    if event.type == "delivery.dropped_off":
        return _collect_cash(tx, event)
    if event.type == "payment.recorded" and event.subject.startswith("order:") and subject_id:
        return _release_if_paid(tx, subject_id, pay_first)
    if not event.type.startswith("order.") or subject_id is None:
        return 0
    status = event.type.removeprefix("order.")
    if status == S.ACCEPTED:
        return _hold_if_unpaid(tx, subject_id, pay_first)
    if status in AUTO_STATUSES.get(auto_at, ()):
        return _invoice(tx, subject_id)
    return 0


def _id(subject: str) -> int | None:
    _, _, raw = subject.partition(":")
    return int(raw) if raw.isdigit() else None


def _invoice(tx: Tx, order_id: int) -> int:
    """The order's invoice, made and issued; none when it has one already (made by hand)."""
    try:
        made = service.create_from_order(tx, SHOP, order_id, f"auto-order-{order_id}")
    except InvoiceRejected:
        return 0  # invoiced already, or cancelled meanwhile
    service.issue_invoice(tx, SHOP, made.id)
    return 0 if made.replayed else 1


def _owed(tx: Tx, order: Order) -> int:
    invoice = service._active_invoice(tx, order.id)
    paid, refunded = _order_sums(tx, order.id)
    if invoice is not None and invoice.number is not None:
        return rules.balance(
            invoice.total_minor - invoice.credited_minor, invoice.paid_minor, invoice.refunded_minor
        )
    return rules.balance(_order_due(order), paid, refunded)


def _hold_if_unpaid(tx: Tx, order_id: int, pay_first: tuple[str, ...]) -> int:
    order = tx.session.get(Order, order_id)
    if order is None or order.status != S.ACCEPTED:
        return 0
    if not rules.holds_dispatch(order.payment_method, pay_first, _owed(tx, order)):
        return 0
    return _move(tx, order, S.ON_HOLD, AWAITING_PAYMENT)


def hold_on_accept(tx: Tx, order_id: int) -> None:
    """In the acceptance's own transaction (orders' ``order_accepted``): an order to be paid
    first goes on hold at once, never seen as accepted in between. The reaction to
    ``order.accepted`` then finds it on hold and does nothing; it still holds orders accepted by a
    way that does not pass this step."""
    pay_first = load_billing(tx).pay_before_dispatch
    if pay_first:
        _hold_if_unpaid(tx, order_id, pay_first)


def _release_if_paid(tx: Tx, order_id: int, pay_first: tuple[str, ...]) -> int:
    order = tx.session.get(Order, order_id)
    if order is None or order.status != S.ON_HOLD or _last_hold_reason(tx, order_id) != AWAITING_PAYMENT:
        return 0
    if rules.holds_dispatch(order.payment_method, pay_first, _owed(tx, order)):
        return 0
    return _move(tx, order, S.ACCEPTED, "")


def _last_hold_reason(tx: Tx, order_id: int) -> str | None:
    query = (
        select(Event.data)
        .where(Event.subject == f"order:{order_id}", Event.type == "order.on_hold")
        .order_by(Event.id.desc())
        .limit(1)
    )
    data = tx.session.scalar(query)
    return None if data is None else str(data.get("reason", ""))


def _move(tx: Tx, order: Order, wanted: OrderStatus, reason: str) -> int:
    try:
        orders.move_order(tx, SHOP, orders.Move(order.id, wanted, order.version, reason))
    except (StaleOrder, TransitionRefused):
        return 0  # moved meanwhile by someone: their move stands
    return 1


def _collect_cash(tx: Tx, event: Seen) -> int:
    """The stop's cash, as payments of its cash-on-delivery orders: each its balance, in id order;
    what is left over goes to the last one (kept as its credit, never lost)."""
    cash, stop = event.data.get("cash_minor") or 0, event.data.get("stop")
    if cash <= 0 or not isinstance(stop, int):
        return 0
    query = (
        select(Order)
        .join(StopOrder, StopOrder.order_id == Order.id)
        .where(StopOrder.stop_id == stop, Order.payment_method == "cash_on_delivery")
        .order_by(Order.id)
    )
    owing = list(tx.session.scalars(query))
    done = 0
    for n, order in enumerate(owing):
        amount = cash if n == len(owing) - 1 else min(cash, max(_owed(tx, order), 0))
        cash -= amount
        if amount > 0:
            wanted = PaymentInput(
                "cash_on_delivery", amount, order_id=order.id, provider_ref=f"cod-{stop}-{order.id}"
            )
            done += 0 if record_payment(tx, SHOP, wanted).replayed else 1
    return done


# -- The cursor -----------------------------------------------------------------------------------


def set_aside(tx: Tx, failed: dead_letters.Failed) -> bool:
    """An event that kept failing, recorded once with its error; the cursor moves past it.
    False when another process set it aside first."""
    recorded = dead_letters.set_aside(tx, failed)
    move_cursor(tx, failed.event_id)
    return recorded


def move_cursor(tx: Tx, event_id: int) -> None:
    """Only forward: a slower process reading the same events never takes it back."""
    cursor = tx.session.get(EventCursor, CONSUMER)
    if cursor is None:
        tx.session.add(EventCursor(consumer=CONSUMER, last_event_id=event_id))
    elif cursor.last_event_id < event_id:
        cursor.last_event_id = event_id
    tx.session.flush()
