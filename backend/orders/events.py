"""What the orders domain records, one Struct per event type, and the sentence each one reads as.

Every move of an order to a status records ``order.<status>`` with the status it left
(``previous``) and the reason given; a new order records ``order.placed`` with what it is, then
``order.on_hold`` with the risk rules' reasons when they set it aside. An event of a customer's
order carries the customer's account (``account``) when there is one.
"""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import UNSET, UnsetType

from backend.i18n.translation import N_, gettext
from backend.kernel.events import DomainEvent, Sentence, says, type_of
from backend.orders.risk import REASONS as RISK_REASONS
from backend.orders.rules import OrderStatus, QueueMove, queue_move


class OrderPlaced(DomainEvent, tag="order.placed"):
    """A new order (channel, total, currency, location), or one released from hold back into the
    queue (``previous``, ``reason``)."""

    number: str
    channel: str | UnsetType = UNSET
    total_minor: int | UnsetType = UNSET
    currency: str | UnsetType = UNSET
    location: str | UnsetType = UNSET
    previous: str | UnsetType = UNSET
    reason: str | UnsetType = UNSET
    account: int | UnsetType = UNSET

    @property
    def released(self) -> bool:
        return bool(self.previous)

    @property
    def queue_move(self) -> QueueMove:
        return queue_move(self.previous or None, OrderStatus.PLACED)


class OrderOnHold(DomainEvent, tag="order.on_hold"):
    """Set aside: by the risk rules as it was placed (``reasons``), or by a person (``previous``,
    ``reason``)."""

    number: str
    reasons: tuple[str, ...] | UnsetType = UNSET
    previous: str | UnsetType = UNSET
    reason: str | UnsetType = UNSET
    account: int | UnsetType = UNSET

    @property
    def queue_move(self) -> QueueMove:
        # Held by the risk rules, the order was placed the moment before (``order.placed``).
        return queue_move(self.previous or OrderStatus.PLACED, OrderStatus.ON_HOLD)


class OrderMoved(DomainEvent):
    """A move to the status the tag names, from ``previous``."""

    number: str
    previous: str
    reason: str
    account: int | UnsetType = UNSET

    @property
    def status(self) -> str:
        return type_of(self).removeprefix("order.")

    @property
    def queue_move(self) -> QueueMove:
        return queue_move(self.previous, self.status)


class OrderAccepted(OrderMoved, tag="order.accepted"):
    pass


class OrderRejected(OrderMoved, tag="order.rejected"):
    pass


class OrderPicking(OrderMoved, tag="order.picking"):
    batch: int | UnsetType = UNSET  # the pick batch it joined (fulfilment)


class OrderPacked(OrderMoved, tag="order.packed"):
    parcels: int | UnsetType = UNSET
    weight_g: int | UnsetType = UNSET


class OrderOutForDelivery(OrderMoved, tag="order.out_for_delivery"):
    run: int | UnsetType = UNSET  # the delivery run that took it


class OrderShipped(OrderMoved, tag="order.shipped"):
    carrier: str | UnsetType = UNSET  # the carrier's code
    tracking_number: str | UnsetType = UNSET


class OrderReadyForPickup(OrderMoved, tag="order.ready_for_pickup"):
    pass


class OrderDelivered(OrderMoved, tag="order.delivered"):
    run: int | UnsetType = UNSET
    stop: int | UnsetType = UNSET


class OrderPickedUp(OrderMoved, tag="order.picked_up"):
    pass


class OrderDeliveryFailed(OrderMoved, tag="order.delivery_failed"):
    run: int | UnsetType = UNSET
    stop: int | UnsetType = UNSET
    failure: str | UnsetType = UNSET  # why: nobody home, refused, …


class OrderCancelled(OrderMoved, tag="order.cancelled"):
    pass


class OrderEdited(DomainEvent, tag="order.edited"):
    number: str
    changes: tuple[str, ...]  # one line per change (``edit_diff``)
    account: int | UnsetType = UNSET

    @property
    def queue_move(self) -> QueueMove:
        # The status stays: a card of the order on the queue, if there is one, is drawn again.
        return QueueMove.CHANGES


class OrderFileImported(DomainEvent, tag="order.file_imported"):
    filename: str
    created: int
    skipped: int
    failed: int


_MOVES: tuple[type[OrderMoved], ...] = (
    OrderAccepted,
    OrderRejected,
    OrderPicking,
    OrderPacked,
    OrderOutForDelivery,
    OrderShipped,
    OrderReadyForPickup,
    OrderDelivered,
    OrderPickedUp,
    OrderDeliveryFailed,
    OrderCancelled,
)


class OrderLinkShared(DomainEvent, tag="order.link_shared"):
    """The team made the order's tracking link to hand on (``orders.sharing``)."""

    number: str


class OrderRated(DomainEvent, tag="order.rated"):
    """The customer rated the order (``orders.ratings``), or changed their rating (``changed``)."""

    number: str
    stars: int
    changed: bool = False
    account: int | UnsetType = UNSET


EVENTS: tuple[type[DomainEvent], ...] = (
    OrderPlaced,
    OrderOnHold,
    *_MOVES,
    OrderEdited,
    OrderFileImported,
    OrderLinkShared,
    OrderRated,
)
# Each status's event: a move to ``picked_up`` records ``order.picked_up``.
_BY_STATUS = {OrderStatus(type_of(e).removeprefix("order.")): e for e in (OrderPlaced, OrderOnHold, *_MOVES)}


def moved_to(
    status: OrderStatus,
    *,
    number: str,
    previous: str,
    reason: str,
    account: int | None,
    details: Mapping[str, str | int] | None = None,
) -> DomainEvent:
    """The event of a move to ``status``; ``details`` are the fields of that status's event the
    domain moving the order knows (a pick batch, parcels, a carrier, a delivery run)."""
    account_field = UNSET if account is None else account
    return _BY_STATUS[status](
        number=number, previous=previous, reason=reason, account=account_field, **(details or {})
    )


def _placed(event: OrderPlaced, actor: str) -> str:
    if event.released:  # back from hold into the queue, not a new order
        return gettext(N_("%(actor)s released order %(number)s from hold"), actor=actor, number=event.number)
    return gettext(N_("New order %(number)s (%(channel)s)"), number=event.number, channel=event.channel or "")


def _held(event: OrderOnHold, actor: str) -> str:
    held_for = [gettext(RISK_REASONS.get(code, code)) for code in event.reasons or ()]
    reason = event.reason or ", ".join(held_for)
    return gettext(N_("Order %(number)s is on hold: %(reason)s"), number=event.number, reason=reason)


def _rated(event: OrderRated, actor: str) -> str:
    said = (
        N_("The customer changed their rating of order %(number)s: %(stars)d/5")
        if event.changed
        else N_("The customer rated order %(number)s: %(stars)d/5")
    )
    return gettext(said, number=event.number, stars=event.stars)


_IMPORTED = N_(
    "%(actor)s imported %(filename)s: orders placed %(created)d, skipped %(skipped)d, refused %(failed)d"
)
SENTENCES: dict[type[DomainEvent], Sentence] = {
    OrderPlaced: _placed,
    OrderOnHold: _held,
    OrderAccepted: says(N_("%(actor)s accepted order %(number)s")),
    OrderRejected: says(N_("%(actor)s rejected order %(number)s: %(reason)s")),
    OrderCancelled: says(N_("%(actor)s cancelled order %(number)s: %(reason)s")),
    OrderPicking: says(N_("%(actor)s started picking order %(number)s")),
    OrderPacked: says(N_("%(actor)s packed order %(number)s")),
    OrderOutForDelivery: says(N_("Order %(number)s is out for delivery")),
    OrderShipped: says(N_("Order %(number)s was shipped")),
    OrderReadyForPickup: says(N_("Order %(number)s is ready for pickup")),
    OrderDelivered: says(N_("Order %(number)s was delivered")),
    OrderPickedUp: says(N_("Order %(number)s was picked up")),
    OrderDeliveryFailed: says(N_("Delivery of order %(number)s failed")),
    OrderEdited: says(N_("%(actor)s changed order %(number)s")),
    OrderFileImported: says(_IMPORTED),
    OrderLinkShared: says(N_("%(actor)s shared the tracking link of order %(number)s")),
    OrderRated: _rated,
}
