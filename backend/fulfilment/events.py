"""What the fulfilment domain records besides the order's moves (which are the orders domain's
``order.<status>`` events), one Struct per event type, and the sentence each one reads as."""

from __future__ import annotations

from backend.i18n.translation import N_, gettext
from backend.kernel.events import DomainEvent, Sentence, says


class LinePicked(DomainEvent, tag="order.line_picked"):
    number: str
    sku: str
    quantity: int  # this confirmation's
    picked: int  # the line's so far
    ordered: int


class ShortPick(DomainEvent, tag="order.short_pick"):
    number: str
    sku: str
    ordered: int
    found: int
    corrected: int  # units taken off on-hand and the reservation


class PickupCodeRefused(DomainEvent, tag="order.pickup_code_refused"):
    number: str
    attempts_left: int
    locked: bool


class PickupIdentityChecked(DomainEvent, tag="order.pickup_identity_checked"):
    """Handed over without the code, on an identity check: who checked is the event's actor."""

    number: str
    shown: str  # the document shown, as staff described it
    code_locked: bool  # the pickup code was locked after wrong tries at that moment


def _identity_checked(event: PickupIdentityChecked, actor: str) -> str:
    if event.code_locked:
        text = N_(
            "%(actor)s checked the identity (%(shown)s) and handed order %(number)s over"
            " while its pickup code was locked after wrong tries"
        )
    else:
        text = N_("%(actor)s checked the identity (%(shown)s) and handed order %(number)s over")
    return gettext(text, actor=actor, shown=event.shown, number=event.number)


class CarrierSaved(DomainEvent, tag="carrier.saved"):
    code: str
    name: str
    active: bool


EVENTS: tuple[type[DomainEvent], ...] = (
    LinePicked,
    ShortPick,
    PickupCodeRefused,
    PickupIdentityChecked,
    CarrierSaved,
)

SENTENCES: dict[type[DomainEvent], Sentence] = {
    LinePicked: says(N_("%(actor)s picked %(quantity)d × %(sku)s for order %(number)s")),
    ShortPick: says(N_("Short pick on order %(number)s: %(found)d of %(ordered)d × %(sku)s on the shelf")),
    PickupCodeRefused: says(N_("A wrong pickup code was given for order %(number)s")),
    PickupIdentityChecked: _identity_checked,
    CarrierSaved: says(N_("%(actor)s saved the carrier %(name)s")),
}
