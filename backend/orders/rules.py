"""Order rules. Pure Python: statuses and the one transition table, who may make
each move, and the words for problems and statuses.

What a valid order looks like (``drafts.py``), the readable diff of an edit (``edit_diff.py``),
pricing, the choice of location and the risk rules are pure too and live beside this module
(``pricing.py``, ``routing.py``, ``risk.py``), so that each stays short.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from backend.auth.rules import Permission
from backend.i18n.translation import N_
from backend.web import inputs


class OrderStatus(StrEnum):
    PLACED = "placed"  # arrived, stock reserved, waiting for the shop to accept it
    ON_HOLD = "on_hold"  # set aside for review (risk rules, payment pending); stock stays reserved
    ACCEPTED = "accepted"  # the shop will fulfil it; still editable until picking starts
    REJECTED = "rejected"  # the shop declined it; stock released
    PICKING = "picking"  # someone is taking the goods off the shelf; no more edits
    PACKED = "packed"  # ready to leave (or to be collected)
    OUT_FOR_DELIVERY = "out_for_delivery"  # with a driver; the reservation became a sale
    SHIPPED = "shipped"  # handed to a carrier; the reservation became a sale
    READY_FOR_PICKUP = "ready_for_pickup"  # waiting at the pickup point
    DELIVERED = "delivered"  # done: the customer has it
    PICKED_UP = "picked_up"  # done: collected; the reservation became a sale
    DELIVERY_FAILED = "delivery_failed"  # nobody home; rescheduled back to packed
    CANCELLED = "cancelled"  # called off before dispatch; stock released


class FulfilmentMode(StrEnum):
    DELIVERY = "delivery"  # our own drivers
    SHIPPING = "shipping"  # a carrier
    PICKUP = "pickup"  # the customer collects at a pickup point


class Channel(StrEnum):
    STOREFRONT = "storefront"
    STAFF = "staff"  # phone orders and counter sales
    API = "api"
    MARKETPLACE = "marketplace"  # imported exports, idempotent by external reference


class Priority(StrEnum):
    NORMAL = "normal"
    RUSH = "rush"


class PaymentMethod(StrEnum):
    CARD = "card"
    PAYPAL = "paypal"
    BANK_TRANSFER = "bank_transfer"
    CASH_ON_DELIVERY = "cash_on_delivery"
    CASH = "cash"


S = OrderStatus
MANAGE = Permission.ORDERS_MANAGE

# THE transition table: (from, to) → the permission the actor needs. Nothing else decides.
TRANSITIONS: Mapping[tuple[OrderStatus, OrderStatus], Permission] = {
    (S.PLACED, S.ACCEPTED): MANAGE,
    (S.PLACED, S.REJECTED): MANAGE,
    (S.PLACED, S.ON_HOLD): MANAGE,
    (S.PLACED, S.CANCELLED): MANAGE,
    (S.ON_HOLD, S.ACCEPTED): MANAGE,
    (S.ON_HOLD, S.REJECTED): MANAGE,
    (S.ON_HOLD, S.PLACED): MANAGE,  # review done, back into the queue
    (S.ON_HOLD, S.CANCELLED): MANAGE,
    (S.ACCEPTED, S.ON_HOLD): MANAGE,
    (S.ACCEPTED, S.PICKING): MANAGE,
    (S.ACCEPTED, S.CANCELLED): MANAGE,
    (S.PICKING, S.PACKED): MANAGE,
    (S.PICKING, S.ON_HOLD): MANAGE,  # a short pick: the owner decides (wait, edit or cancel)
    (S.PICKING, S.CANCELLED): MANAGE,
    (S.PACKED, S.OUT_FOR_DELIVERY): Permission.DELIVERIES_MANAGE,
    (S.PACKED, S.SHIPPED): MANAGE,
    (S.PACKED, S.READY_FOR_PICKUP): MANAGE,
    (S.PACKED, S.CANCELLED): MANAGE,
    (S.READY_FOR_PICKUP, S.PICKED_UP): MANAGE,
    (S.READY_FOR_PICKUP, S.CANCELLED): MANAGE,
    (S.OUT_FOR_DELIVERY, S.DELIVERED): Permission.DELIVERIES_PERFORM,
    (S.OUT_FOR_DELIVERY, S.DELIVERY_FAILED): Permission.DELIVERIES_PERFORM,
    (S.SHIPPED, S.DELIVERED): MANAGE,
    (S.DELIVERY_FAILED, S.PACKED): Permission.DELIVERIES_MANAGE,  # rescheduled
}

# The one way out of "packed" that suits each fulfilment mode.
DISPATCH_BY_MODE: Mapping[FulfilmentMode, OrderStatus] = {
    FulfilmentMode.DELIVERY: S.OUT_FOR_DELIVERY,
    FulfilmentMode.SHIPPING: S.SHIPPED,
    FulfilmentMode.PICKUP: S.READY_FOR_PICKUP,
}

# A customer may call off their own order while the shop has not started on it.
CUSTOMER_CANCELLABLE = frozenset({S.PLACED, S.ON_HOLD})
# Before picking starts, lines, address and location may still change.
EDITABLE = frozenset({S.PLACED, S.ON_HOLD, S.ACCEPTED})
# Before accepting, the location may be changed from the acceptance queue.
AWAITING_DECISION = frozenset({S.PLACED, S.ON_HOLD})
# Statuses in which the order's stock is held as a reservation.
HOLDING_STOCK = frozenset({S.PLACED, S.ON_HOLD, S.ACCEPTED, S.PICKING, S.PACKED, S.READY_FOR_PICKUP})
# Reaching one of these releases the reservation; reaching a dispatch status turns it into a sale.
RELEASING = frozenset({S.REJECTED, S.CANCELLED})
DISPATCHING = frozenset({S.OUT_FOR_DELIVERY, S.SHIPPED, S.PICKED_UP})
FINAL = frozenset({S.DELIVERED, S.PICKED_UP, S.REJECTED, S.CANCELLED})
# Moves that must say why.
NEEDS_REASON = frozenset({S.REJECTED, S.ON_HOLD, S.CANCELLED})


class QueueMove(StrEnum):
    """What a change of an order does to the acceptance queue (the orders awaiting a decision)."""

    ENTERS = "enters"  # it starts waiting: its card goes on top
    CHANGES = "changes"  # it waits before and after: its card is drawn again
    LEAVES = "leaves"  # it was waiting and no longer is: its card goes
    NONE = ""  # it neither waited nor waits


def queue_move(before: str | None, after: str) -> QueueMove:
    """``before`` and ``after`` are the order's statuses around the change (``before`` None: a new
    order)."""
    waited, waits = before in AWAITING_DECISION, after in AWAITING_DECISION
    if waits:
        return QueueMove.CHANGES if waited else QueueMove.ENTERS
    return QueueMove.LEAVES if waited else QueueMove.NONE


@dataclass(frozen=True)
class Actor:
    """Who asks: an account (``user_id``) with its permissions, or an anonymous shopper."""

    user_id: int | None
    permissions: frozenset[Permission] = frozenset()
    is_customer: bool = False  # a shopper's own account: their orders are linked to it

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def customer_user_id(self) -> int | None:
        return self.user_id if self.is_customer else None


def transition_problem(
    current: OrderStatus, wanted: OrderStatus, mode: FulfilmentMode, actor: Actor, *, own_order: bool = False
) -> str | None:
    """Why ``actor`` may not move an order from ``current`` to ``wanted``, or None if they may."""
    needed = TRANSITIONS.get((current, wanted))
    if needed is None:
        return "transition_not_allowed"
    if current == S.PACKED and wanted in DISPATCH_BY_MODE.values() and DISPATCH_BY_MODE[mode] != wanted:
        return "wrong_mode"
    if actor.can(needed):
        return None
    if wanted == S.CANCELLED and own_order and current in CUSTOMER_CANCELLABLE:
        return None
    return "not_permitted"


def can_transition(current: OrderStatus, wanted: OrderStatus, mode: FulfilmentMode, actor: Actor) -> bool:
    return transition_problem(current, wanted, mode, actor) is None


def is_editable(status: OrderStatus) -> bool:
    return status in EDITABLE


def next_statuses(current: OrderStatus, mode: FulfilmentMode) -> list[OrderStatus]:
    """Where an order can go from here, in table order (for buttons)."""
    return [
        to
        for (source, to) in TRANSITIONS
        if source == current and not (to in DISPATCH_BY_MODE.values() and DISPATCH_BY_MODE[mode] != to)
    ]


MAX_REASON = 300


def reason_problem(wanted: OrderStatus, reason: str) -> str | None:
    if wanted in NEEDS_REASON and inputs.is_blank(reason):
        return "reason_required"
    return "reason_too_long" if len(reason) > MAX_REASON else None


MESSAGES: Mapping[str, str] = {
    "fulfilment_mode_invalid": N_("Choose delivery, shipping or pickup."),
    "payment_method_invalid": N_("Choose a payment method this shop accepts."),
    "channel_invalid": N_("This order channel is not known."),
    "priority_invalid": N_("Priority is normal or rush."),
    "name_required": N_("Give the customer's name (at most 120 characters)."),
    "contact_required": N_("Give an e-mail address or a phone number."),
    "email_invalid": N_("This e-mail address does not look right."),
    "phone_invalid": N_("This phone number does not look right."),
    "address_required": N_("A delivery needs an address."),
    "address_field_required": N_("Fill in every line of the address."),
    "country_invalid": N_("The country is a two-letter code, such as FR."),
    "coordinate_invalid": N_("These coordinates are outside the map."),
    "slot_not_for_mode": N_("Only a delivery has a delivery slot."),
    "slot_invalid": N_("A delivery slot ends after it starts."),
    "slot_too_long": N_("A delivery slot is at most 12 hours long."),
    "slot_incomplete": N_("Give the slot's day, and the times it starts and ends."),
    "slot_unreadable": N_("Give the day as YYYY-MM-DD and the times as HH:MM."),
    "slot_past": N_("This slot is already over: choose one to come."),
    "slot_too_far": N_("Choose a slot within the next 30 days."),
    "lines_empty": N_("The order has no lines."),
    "too_many_lines": N_("An order has at most 100 lines."),
    "sku_required": N_("Each line needs a SKU."),
    "sku_unknown": N_("No product for sale has this SKU."),
    "quantity_not_whole": N_("A quantity is a whole number."),
    "quantity_not_positive": N_("A quantity is at least 1."),
    "quantity_too_large": N_("A line holds at most 10,000 units."),
    "notes_too_long": N_("Notes are at most 1,000 characters."),
    "external_ref_invalid": N_("The external reference is 1 to 100 characters."),
    "location_unknown": N_("No location has this code."),
    "not_a_pickup_point": N_("This location is not a pickup point."),
    "no_location": N_("There is no location to serve orders from yet."),
    "currency_mixed": N_("All products of one order must be in the same currency."),
    "reason_required": N_("Say why."),
    "reason_too_long": N_("The reason is at most 300 characters."),
    "transition_not_allowed": N_("An order in this status cannot go there."),
    "wrong_mode": N_("This step does not fit the order's fulfilment mode."),
    "not_permitted": N_("You are not allowed to do that"),
    "not_editable": N_("Picking has started: the order can no longer be changed."),
    "nothing_changed": N_("The change is empty."),
    "external_ref_taken": N_("An order with this external reference already exists."),
}


STATUS_LABELS: Mapping[OrderStatus, str] = {
    S.PLACED: N_("Placed"),
    S.ON_HOLD: N_("On hold"),
    S.ACCEPTED: N_("Accepted"),
    S.REJECTED: N_("Rejected"),
    S.PICKING: N_("Picking"),
    S.PACKED: N_("Packed"),
    S.OUT_FOR_DELIVERY: N_("Out for delivery"),
    S.SHIPPED: N_("Shipped"),
    S.READY_FOR_PICKUP: N_("Ready for pickup"),
    S.DELIVERED: N_("Delivered"),
    S.PICKED_UP: N_("Picked up"),
    S.DELIVERY_FAILED: N_("Delivery failed"),
    S.CANCELLED: N_("Cancelled"),
}
MODE_LABELS: Mapping[FulfilmentMode, str] = {
    FulfilmentMode.DELIVERY: N_("Delivery"),
    FulfilmentMode.SHIPPING: N_("Shipping"),
    FulfilmentMode.PICKUP: N_("Pickup"),
}
