"""Plain words for the codes an order carries, marked for translation and translated when shown."""

from __future__ import annotations

from collections.abc import Mapping

from backend.i18n import N_

STATUS: Mapping[str, str] = {
    "placed": N_("Waiting for acceptance"),
    "on_hold": N_("On hold"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "picking": N_("Picking"),
    "packed": N_("Packed"),
    "out_for_delivery": N_("Out for delivery"),
    "shipped": N_("Shipped"),
    "ready_for_pickup": N_("Ready for pickup"),
    "delivered": N_("Delivered"),
    "picked_up": N_("Picked up"),
    "delivery_failed": N_("Delivery failed"),
    "cancelled": N_("Cancelled"),
}

CHANNEL: Mapping[str, str] = {
    "storefront": N_("Online shop"),
    "staff": N_("Taken by staff"),
    "api": N_("API"),
    "marketplace": N_("Marketplace"),
}

MODE: Mapping[str, str] = {
    "delivery": N_("Delivery"),
    "shipping": N_("Shipping"),
    "pickup": N_("Pickup"),
}

# What a queue action is called when telling that it was refused.
ACTION: Mapping[str, str] = {
    "accept": N_("Accept"),
    "reject": N_("Reject"),
    "hold": N_("Hold"),
    "location": N_("Change location"),
}

EVENT: Mapping[str, str] = {
    "order.placed": N_("Placed"),
    "order.accepted": N_("Accepted"),
    "order.rejected": N_("Rejected"),
    "order.on_hold": N_("Put on hold"),
    "order.placed_again": N_("Back in the queue"),
    "order.cancelled": N_("Cancelled"),
    "order.edited": N_("Changed"),
}
