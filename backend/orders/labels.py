"""Plain words for the codes an order carries, marked for translation and translated when shown."""

from __future__ import annotations

from collections.abc import Mapping

from backend.i18n.translation import N_
from backend.orders.rules import MODE_LABELS, STATUS_LABELS, OrderStatus

# The queue says "waiting for acceptance" where the order page says "placed".
STATUS: Mapping[str, str] = {**STATUS_LABELS, OrderStatus.PLACED: N_("Waiting for acceptance")}

# What a shopper reads of their order's status (tracking, "My orders"), and the shop's customer pages.
FOR_CUSTOMERS: Mapping[str, str] = {
    "placed": N_("Received, waiting for the shop"),
    "on_hold": N_("Being checked by the shop"),
    "accepted": N_("Accepted"),
    "rejected": N_("Declined"),
    "picking": N_("Being prepared"),
    "packed": N_("Packed"),
    "out_for_delivery": N_("Out for delivery"),
    "shipped": N_("Shipped"),
    "ready_for_pickup": N_("Ready for pickup"),
    "delivered": N_("Delivered"),
    "picked_up": N_("Collected"),
    "delivery_failed": N_("Delivery attempt failed"),
    "cancelled": N_("Cancelled"),
}

CHANNEL: Mapping[str, str] = {
    "storefront": N_("Online shop"),
    "staff": N_("Taken by staff"),
    "api": N_("API"),
    "marketplace": N_("Marketplace"),
}

MODE = MODE_LABELS

# What an action is called on its button, and when telling that it was refused.
ACTION: Mapping[str, str] = {
    "accept": N_("Accept"),
    "release": N_("Release hold"),
    "reject": N_("Reject"),
    "hold": N_("Hold"),
    "cancel": N_("Cancel order"),
    "location": N_("Change location"),
    "edit": N_("Edit the order"),
}
