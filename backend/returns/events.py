"""What the returns domain records, one Struct per event type, and the sentence each one reads as.
Every event of a return (subject ``return:<id>``) names its order and, when the order's customer
has an account, that account, so that the customer's own pages hear it."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from backend.i18n.translation import N_
from backend.kernel.events import DomainEvent, Sentence, says


class ReturnEvent(DomainEvent, kw_only=True):
    order_id: int
    number: str  # the order's
    status: str
    account: int | UnsetType = UNSET


class ReturnRequested(ReturnEvent, tag="return.requested"):
    units: int


class ReturnApproved(ReturnEvent, tag="return.approved"):
    pass


class ReturnRefused(ReturnEvent, tag="return.refused"):
    note: str


class ReturnReceived(ReturnEvent, tag="return.received"):
    restocked: int
    scrapped: int


class ReturnRefunded(ReturnEvent, tag="return.refunded"):
    amount_minor: int
    currency: str
    credit_note: str | UnsetType = UNSET  # its number, when the order was invoiced


class ReturnWindowSet(DomainEvent, tag="return.window_set"):
    days: int


EVENTS: tuple[type[DomainEvent], ...] = (
    ReturnRequested,
    ReturnApproved,
    ReturnRefused,
    ReturnReceived,
    ReturnRefunded,
    ReturnWindowSet,
)
RETURN_EVENTS = tuple(event.__struct_config__.tag for event in EVENTS if issubclass(event, ReturnEvent))

SENTENCES: dict[type[DomainEvent], Sentence] = {
    ReturnRequested: says(N_("%(actor)s asked to return %(units)s units of order %(number)s")),
    ReturnApproved: says(N_("%(actor)s approved a return of order %(number)s")),
    ReturnRefused: says(N_("%(actor)s refused a return of order %(number)s")),
    ReturnReceived: says(N_("%(actor)s received a return of order %(number)s")),
    ReturnRefunded: says(N_("%(actor)s refunded a return of order %(number)s")),
    ReturnWindowSet: says(N_("%(actor)s set the return window to %(days)s days")),
}
