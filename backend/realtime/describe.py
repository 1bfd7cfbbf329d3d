"""One readable sentence per event, translated when it is shown."""

from __future__ import annotations

from collections.abc import Callable

from backend.i18n.translation import N_, gettext
from backend.kernel.events import Event
from backend.orders.risk import REASONS as RISK_REASONS
from backend.web.site import Describer

# The sentences of every domain's events, until each domain holds its own: each domain's plugin
# takes its part (``sentences_of``) into its app (``LiveUpdates.describe``, the one way to tell one).
SENTENCES: dict[str, Describer] = {}


def describes(event_type: str) -> Callable[[Describer], Describer]:
    def add(describer: Describer) -> Describer:
        SENTENCES[event_type] = describer
        return describer

    return add


def sentences_of(*prefixes: str) -> dict[str, Describer]:
    """The sentences of the event types that start with one of ``prefixes`` (``"order."``)."""
    return {kind: describer for kind, describer in SENTENCES.items() if kind.startswith(prefixes)}


def _simple(event_type: str, message: str) -> None:
    @describes(event_type)
    def describer(event: Event, actor: str) -> str:
        return gettext(message, actor=actor, **{k: v for k, v in event.data.items() if isinstance(v, str)})


@describes("user.created")
def _account_opened(event: Event, actor: str) -> str:
    name = str(event.data.get("name", ""))
    if event.data.get("role") == "customer":  # a shopper's account: not a new colleague
        return gettext(N_("%(name)s opened a customer account"), name=name)
    return gettext(N_("%(name)s joined the team"), name=name)


_simple("user.profile_updated", N_("%(actor)s updated their profile"))
_simple("user.password_changed", N_("%(actor)s changed their password"))
_simple("user.token_created", N_("%(actor)s created an API token"))
_simple("user.token_revoked", N_("%(actor)s revoked an API token"))
_simple("user.invited", N_("%(actor)s invited %(name)s to join the team"))
_simple("user.invitation_revoked", N_("%(actor)s revoked the invitation of %(name)s"))
_simple("shop.updated", N_("%(actor)s updated the shop settings"))
_simple("user.signed_out", N_("%(actor)s signed out"))


def _sentence(event_type: str, message: str) -> None:
    """Like ``_simple``, with the event's numbers too (quantities, counts)."""

    @describes(event_type)
    def describer(event: Event, actor: str) -> str:
        values = {k: v for k, v in event.data.items() if isinstance(v, str | int) and not isinstance(v, bool)}
        return gettext(message, actor=actor, **values)


_simple("location.created", N_("%(actor)s added the location %(code)s"))
_simple("location.updated", N_("%(actor)s updated the location %(code)s"))
_sentence("stock.adjusted", N_("%(actor)s adjusted %(sku)s at %(location)s by %(delta)+d: %(reason)s"))
_sentence("stock.transferred", N_("%(actor)s moved %(quantity)d × %(sku)s from %(source)s to %(target)s"))
_sentence(
    "stock.counted", N_("%(actor)s counted %(counted)d products at %(location)s, %(corrections)d corrected")
)
_sentence(
    "stock.reorder_set", N_("%(actor)s set %(sku)s at %(location)s to reorder %(quantity)d below %(point)d")
)
_simple("supplier.created", N_("%(actor)s added the supplier %(name)s"))
_simple("supplier.updated", N_("%(actor)s updated the supplier %(name)s"))
_simple("purchasing.created", N_("%(actor)s drafted purchase order %(number)s"))
_sentence("purchasing.line_added", N_("%(actor)s added %(quantity)d × %(sku)s to purchase order %(number)s"))
_simple("purchasing.line_removed", N_("%(actor)s removed %(sku)s from purchase order %(number)s"))
_simple("purchasing.sent", N_("%(actor)s sent purchase order %(number)s"))
_simple("purchasing.cancelled", N_("%(actor)s cancelled purchase order %(number)s"))
_simple("purchasing.received", N_("%(actor)s received goods for purchase order %(number)s"))
_sentence("purchasing.reorder_drafted", N_("Stock ran low: %(quantity)d more on purchase order %(number)s"))


@describes("user.permissions_changed")
def _permissions_changed(event: Event, actor: str) -> str:
    return gettext(
        N_("%(actor)s changed permissions: %(granted)d granted, %(withdrawn)d withdrawn"),
        actor=actor,
        granted=len(event.data.get("granted", [])),
        withdrawn=len(event.data.get("withdrawn", [])),
    )


@describes("order.placed")
def _order_placed(event: Event, actor: str) -> str:
    number = event.data.get("number", "")
    if event.data.get("previous"):  # back from hold into the queue, not a new order
        return gettext(N_("%(actor)s released order %(number)s from hold"), actor=actor, number=number)
    return gettext(
        N_("New order %(number)s (%(channel)s)"), number=number, channel=event.data.get("channel", "")
    )


_simple("order.accepted", N_("%(actor)s accepted order %(number)s"))
_simple("order.rejected", N_("%(actor)s rejected order %(number)s: %(reason)s"))
_simple("order.cancelled", N_("%(actor)s cancelled order %(number)s: %(reason)s"))
_simple("order.picking", N_("%(actor)s started picking order %(number)s"))
_simple("order.packed", N_("%(actor)s packed order %(number)s"))
_simple("order.out_for_delivery", N_("Order %(number)s is out for delivery"))
_simple("order.shipped", N_("Order %(number)s was shipped"))
_simple("order.ready_for_pickup", N_("Order %(number)s is ready for pickup"))
_simple("order.delivered", N_("Order %(number)s was delivered"))
_simple("order.picked_up", N_("Order %(number)s was picked up"))
_simple("order.delivery_failed", N_("Delivery of order %(number)s failed"))
_simple("order.edited", N_("%(actor)s changed order %(number)s"))
_sentence(
    "order.file_imported",
    N_("%(actor)s imported %(filename)s: orders placed %(created)d, skipped %(skipped)d, refused %(failed)d"),
)


@describes("order.on_hold")
def _order_held(event: Event, actor: str) -> str:
    held_for = [gettext(RISK_REASONS.get(code, code)) for code in event.data.get("reasons", [])]
    reason = str(event.data.get("reason") or ", ".join(held_for))
    return gettext(
        N_("Order %(number)s is on hold: %(reason)s"), number=event.data.get("number", ""), reason=reason
    )
