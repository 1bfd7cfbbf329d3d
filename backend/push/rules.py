"""Web Push rules. Pure Python: the kinds of notification, who may hear which, what an event
announces, how long a push service keeps each and how urgently, and what its answer means.

Who may hear what is decided twice: when a device subscribes (the kinds it may ask for) and again
for every notification (rights change, and a tracking link hears its own order only).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from backend.auth.rules import Permission, Role
from backend.i18n.translation import N_


class Kind(StrEnum):
    # the team
    NEW_ORDER = "new_order"
    ORDER_LATE = "order_late"
    DELIVERY_FAILED = "delivery_failed"
    LOW_STOCK = "low_stock"
    # drivers
    RUN = "run"  # a run assigned to them, or changed
    # customers, of their own orders
    ACCEPTED = "accepted"
    OUT_FOR_DELIVERY = "out_for_delivery"  # also shipped, and "next stop"
    DELIVERED = "delivered"
    READY_FOR_PICKUP = "ready_for_pickup"
    CANCELLED = "cancelled"  # also declined by the shop


# The permission each team kind needs: nobody hears of orders or stock they may not see.
TEAM_KINDS: Mapping[Kind, Permission] = {
    Kind.NEW_ORDER: Permission.ORDERS_VIEW,
    Kind.ORDER_LATE: Permission.ORDERS_VIEW,
    Kind.DELIVERY_FAILED: Permission.ORDERS_VIEW,
    Kind.LOW_STOCK: Permission.STOCK_VIEW,
}
CUSTOMER_KINDS = frozenset(
    {Kind.ACCEPTED, Kind.OUT_FOR_DELIVERY, Kind.DELIVERED, Kind.READY_FOR_PICKUP, Kind.CANCELLED}
)

KIND_LABELS: Mapping[Kind, str] = {
    Kind.NEW_ORDER: N_("New orders"),
    Kind.ORDER_LATE: N_("Orders waiting too long"),
    Kind.DELIVERY_FAILED: N_("Failed deliveries"),
    Kind.LOW_STOCK: N_("Low stock"),
    Kind.RUN: N_("My delivery runs"),
    Kind.ACCEPTED: N_("Order accepted"),
    Kind.OUT_FOR_DELIVERY: N_("On its way, next stop"),
    Kind.DELIVERED: N_("Delivered"),
    Kind.READY_FOR_PICKUP: N_("Ready for pickup"),
    Kind.CANCELLED: N_("Cancelled or declined"),
}


@dataclass(frozen=True)
class Delivery:
    """How a push service should treat a kind: RFC 8030 TTL (seconds) and Urgency."""

    ttl: int
    urgency: str  # very-low, low, normal, high


MINUTE, HOUR, DAY = 60, 3600, 86400
# A new order is worth a buzz now and nothing in an hour; "delivered" can wait for the morning.
DELIVERY: Mapping[Kind, Delivery] = {
    Kind.NEW_ORDER: Delivery(10 * MINUTE, "high"),
    Kind.ORDER_LATE: Delivery(15 * MINUTE, "high"),
    Kind.DELIVERY_FAILED: Delivery(2 * HOUR, "high"),
    Kind.LOW_STOCK: Delivery(DAY, "low"),
    Kind.RUN: Delivery(30 * MINUTE, "high"),
    Kind.ACCEPTED: Delivery(DAY, "normal"),
    Kind.OUT_FOR_DELIVERY: Delivery(2 * HOUR, "high"),
    Kind.DELIVERED: Delivery(2 * DAY, "low"),
    Kind.READY_FOR_PICKUP: Delivery(2 * DAY, "normal"),
    Kind.CANCELLED: Delivery(2 * DAY, "normal"),
}

# What each order event announces, and to whom (the kind says the audience).
ORDER_EVENT_KINDS: Mapping[str, Kind] = {
    "order.placed": Kind.NEW_ORDER,
    "order.delivery_failed": Kind.DELIVERY_FAILED,
    "order.accepted": Kind.ACCEPTED,
    "order.out_for_delivery": Kind.OUT_FOR_DELIVERY,
    "order.shipped": Kind.OUT_FOR_DELIVERY,
    "order.delivered": Kind.DELIVERED,
    "order.ready_for_pickup": Kind.READY_FOR_PICKUP,
    "order.cancelled": Kind.CANCELLED,
    "order.rejected": Kind.CANCELLED,
}
# A run planned for a driver (assigned) or changed before it starts (``backend/delivery/events.py``).
RUN_EVENTS = frozenset({"delivery.run_planned", "delivery.run_changed"})
# Once an order has been decided, it is no longer late: its alert may be raised again later.
DECIDED = frozenset({"order.accepted", "order.rejected", "order.cancelled"})


# -- who hears what -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listener:
    """A subscription as the rules see it: its owner (an account, or one order's tracking link),
    that account's role and rights as they are now, and the kinds it asked for."""

    kinds: frozenset[str]
    user_id: int | None = None
    role: Role | None = None
    permissions: frozenset[Permission] = frozenset()
    order_id: int | None = None
    active: bool = True


@dataclass(frozen=True)
class Notice:
    """Something worth telling: its kind and what it is about."""

    kind: Kind
    order_id: int | None = None
    account: int | None = None  # the customer account the order belongs to
    driver_id: int | None = None


def kinds_allowed(listener: Listener) -> frozenset[Kind]:
    """The kinds this owner may ask for."""
    if listener.order_id is not None:
        return CUSTOMER_KINDS
    if not listener.active:
        return frozenset()
    allowed = {kind for kind, needed in TEAM_KINDS.items() if needed in listener.permissions}
    if Permission.DELIVERIES_PERFORM in listener.permissions:
        allowed.add(Kind.RUN)
    if listener.role == Role.CUSTOMER:  # only a customer's account has orders of its own
        allowed |= CUSTOMER_KINDS
    return frozenset(allowed)


def default_kinds(listener: Listener) -> frozenset[Kind]:
    """What a new subscription gets when it names no kinds: everything it may hear."""
    return kinds_allowed(listener)


def may_hear(listener: Listener, notice: Notice) -> bool:
    """Whether this subscription is told of ``notice``: it asked for the kind, may still hear it,
    and the notice is about something of its own when the kind is personal."""
    if notice.kind not in listener.kinds or notice.kind not in kinds_allowed(listener):
        return False
    if notice.kind in CUSTOMER_KINDS:
        if listener.order_id is not None:
            return notice.order_id == listener.order_id
        return notice.account is not None and notice.account == listener.user_id
    if notice.kind == Kind.RUN:
        return notice.driver_id is not None and notice.driver_id == listener.user_id
    return True  # a team kind: the permission it needs was checked above


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def notices_for(type_: str, subject_id: int | None, data: Mapping[str, Any]) -> list[Notice]:
    """What an event announces (stock and lateness are judged elsewhere: they need state)."""
    if type_ in RUN_EVENTS:
        driver = _int(data.get("driver"))
        return [Notice(Kind.RUN, driver_id=driver)] if driver is not None else []
    kind = ORDER_EVENT_KINDS.get(type_)
    if kind is None or subject_id is None:
        return []
    if type_ == "order.placed" and data.get("previous"):
        return []  # released from hold: not a new order
    return [Notice(kind, order_id=subject_id, account=_int(data.get("account")))]


def topic(notice: Notice, key: str = "") -> str:
    """RFC 8030 Topic (and the notification's tag): a newer message on the same topic replaces an
    older one, so one order shows one notification. At most 32 base64url characters."""
    if notice.order_id is not None:
        return f"order-{notice.order_id}"
    return (key or notice.kind.value).replace(":", "-").replace("_", "-")[:32]


# -- stock ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelState:
    product_id: int
    location_id: int
    free: int
    reorder_point: int
    low: bool

    @property
    def key(self) -> str:
        return f"stock-low:{self.product_id}:{self.location_id}"


def stock_levels(data: Mapping[str, Any]) -> list[LevelState]:
    """The levels a ``stock.changed`` event reports, each judged low or not (below its reorder
    point, or owing units to customers, as ``inventory.rules.is_low`` says)."""
    states = []
    for level in data.get("levels") or []:
        try:
            free = int(level["on_hand"]) - int(level["reserved"]) - int(level.get("backordered") or 0)
            point = int(level.get("reorder_point") or 0)
            product, location = int(level["product_id"]), int(level["location_id"])
        except (KeyError, TypeError, ValueError):
            continue
        states.append(LevelState(product, location, free, point, free < point or free < 0))
    return states


def late_key(order_id: int) -> str:
    return f"order-late:{order_id}"


# -- subscribing ----------------------------------------------------------------------------------

MAX_ENDPOINT = 1000


def _b64url(raw: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        return None


def _is_local_host(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def is_loopback(endpoint: str) -> bool:
    """Whether an endpoint is on this machine (what tests and the benchmark alone may use)."""
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def subscription_problems(
    endpoint: str, p256dh: str, auth: str, *, allow_local: bool = False, loopback_only: bool = False
) -> dict[str, str]:
    """Field → problem code for a browser's ``PushSubscription``. The server will POST to the
    endpoint, so it must be a push service's public https address, not a host of our network
    (``allow_local`` lets tests use one on the loopback; ``loopback_only`` takes nothing else)."""
    found = {}
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    malformed = len(endpoint) > MAX_ENDPOINT or parts.username or parts.password or parts.fragment or not host
    if malformed or (loopback_only and not is_loopback(endpoint)):
        found["endpoint"] = "invalid_endpoint"
    elif allow_local and _is_local_host(host) and parts.scheme in ("http", "https"):
        pass
    elif parts.scheme != "https" or _is_local_host(host):
        found["endpoint"] = "invalid_endpoint"
    key = _b64url(p256dh)
    if key is None or len(key) != 65 or key[0] != 4:
        found["p256dh"] = "invalid_key"
    secret = _b64url(auth)
    if secret is None or len(secret) != 16:
        found["auth"] = "invalid_key"
    return found


def chosen_kinds(wanted: Iterable[str] | None, allowed: frozenset[Kind]) -> list[str]:
    """The kinds a subscription keeps: those asked for that the owner may have (all of them when
    none are named), in a stable order."""
    if wanted is None:
        return sorted(kind.value for kind in allowed)
    return sorted({kind for kind in wanted if kind in {k.value for k in allowed}})


# -- answers of push services ---------------------------------------------------------------------


class Outcome(StrEnum):
    DONE = "done"  # accepted (201)
    GONE = "gone"  # 404 / 410: the subscription has expired or was withdrawn
    TOO_BIG = "too_big"  # 413: logged and skipped
    RETRY = "retry"  # 429, 5xx, no answer: again later
    REFUSED = "refused"  # other 4xx: our request is wrong for it (e.g. another VAPID key)


def outcome_of(status: int | None) -> Outcome:
    """What a push service's status means; None for no answer at all (timeout, refused)."""
    if status is None or status == 429 or status >= 500:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.DONE
    if status in (404, 410):
        return Outcome.GONE
    if status == 413:
        return Outcome.TOO_BIG
    return Outcome.REFUSED


MAX_ATTEMPTS = 8  # about an hour and a half of back-off, then the notification is dropped
MAX_FAILURES = 5  # refused this many times in a row, a subscription is removed
MAX_RETRY_AFTER = 6 * HOUR


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as a delay; None if absent or unreadable."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return min(float(header), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER)


def retry_delay(attempts: int, retry_after: float | None) -> float:
    """How long to wait before the next attempt: what the service asked, or else an exponential
    back-off (2 s, 4 s, 8 s … capped at 30 minutes)."""
    if retry_after is not None:
        return retry_after
    return float(min(2 ** max(attempts, 1), 30 * MINUTE))
