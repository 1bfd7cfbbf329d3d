"""What a notification says, in its recipient's language: the JSON the service worker shows.

The payload stays small (push services take 4 KB at most): a title, a body, the page to open, the
tag that makes a newer notification replace an older one, and for the team's new orders what the
"Accept" action needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.i18n.translation import SUPPORTED_LOCALES, current_locale, gettext
from backend.push.rules import Kind

MAX_REASON = 200


@dataclass(frozen=True)
class Said:
    """What the event says about its subject, read once per event."""

    type: str
    number: str = ""
    reason: str = ""
    product: str = ""
    location: str = ""
    free: int = 0
    minutes: int = 0


def _texts(kind: Kind, said: Said) -> tuple[str, str]:
    number = said.number
    if kind == Kind.NEW_ORDER:
        return gettext("New order %(number)s", number=number), gettext("Open it to accept or decline it.")
    if kind == Kind.ORDER_LATE:
        return (
            gettext("Order %(number)s is still waiting", number=number),
            gettext("Placed %(minutes)s minutes ago and not decided yet.", minutes=said.minutes),
        )
    if kind == Kind.DELIVERY_FAILED:
        return (
            gettext("Delivery failed: order %(number)s", number=number),
            gettext("Nobody could take it; it is back with the orders to deliver."),
        )
    if kind == Kind.LOW_STOCK:
        return (
            gettext("Running low: %(product)s", product=said.product),
            gettext("%(free)s left to sell at %(location)s.", free=said.free, location=said.location),
        )
    if kind == Kind.RUN:
        return gettext("Your delivery run changed"), gettext("Open it to see your stops.")
    return _customer_texts(kind, said)


def _customer_texts(kind: Kind, said: Said) -> tuple[str, str]:
    number = said.number
    if kind == Kind.ACCEPTED:
        return gettext("Order %(number)s accepted", number=number), gettext("The shop is preparing it.")
    if kind == Kind.OUT_FOR_DELIVERY and said.type == "order.shipped":
        return (
            gettext("Order %(number)s is on its way", number=number),
            gettext("It has been handed to the carrier."),
        )
    if kind == Kind.OUT_FOR_DELIVERY:
        return gettext("Order %(number)s is on its way", number=number), gettext("Our driver is bringing it.")
    if kind == Kind.DELIVERED:
        return gettext("Order %(number)s delivered", number=number), gettext("Thank you for your order!")
    if kind == Kind.READY_FOR_PICKUP:
        return (
            gettext("Order %(number)s is ready for pickup", number=number),
            gettext("Show your pickup code at the counter."),
        )
    title = (
        gettext("Order %(number)s declined", number=number)
        if said.type == "order.rejected"
        else gettext("Order %(number)s cancelled", number=number)
    )
    return title, said.reason[:MAX_REASON] or gettext("Open it to see why.")


def render(
    kind: Kind, said: Said, locale: str, *, url: str | None, tag: str, extra: Mapping[str, Any] | None = None
) -> str:
    """The payload for one recipient, in ``locale``."""
    extra = dict(extra or {})
    token = current_locale.set(locale if locale in SUPPORTED_LOCALES else "en")
    try:
        title, body = _texts(kind, said)
        if "accept" in extra:  # the notification's buttons, in its language
            extra["accept"] = {**extra["accept"], "label": gettext("Accept"), "open_label": gettext("Open")}
    finally:
        current_locale.reset(token)
    payload: dict[str, Any] = {"kind": kind.value, "title": title, "body": body, "tag": tag, "lang": locale}
    if url is not None:
        payload["url"] = url
    payload.update(extra)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
