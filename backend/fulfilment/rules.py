"""Fulfilment rules. Pure Python: which orders to pick first, how a pick list is walked, what a
pickup code is and when wrong ones lock an order, and what a parcel, a quantity or a tracking
number may be. Statuses and moves are the orders domain's (``orders.rules.TRANSITIONS``)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar
from urllib.parse import quote

from backend.i18n.translation import N_
from backend.orders.rules import FulfilmentMode, OrderStatus, Priority
from backend.web import inputs

# -- which orders first ---------------------------------------------------------------------------

# How soon an accepted order is due, counted from when it was placed: a customer coming to the
# counter is waiting for it; a parcel or a delivery leaves with the day's round.
PROMISE: Mapping[str, timedelta] = {
    FulfilmentMode.PICKUP: timedelta(hours=2),
    FulfilmentMode.DELIVERY: timedelta(hours=24),
    FulfilmentMode.SHIPPING: timedelta(hours=24),
}
MAX_BATCH = 30  # orders in one batch: a trolley's worth, and a pick list a phone still scrolls


class Pickable(Protocol):
    @property
    def order_id(self) -> int: ...
    @property
    def priority(self) -> str: ...
    @property
    def fulfilment_mode(self) -> str: ...
    @property
    def placed_at(self) -> datetime: ...


P = TypeVar("P", bound=Pickable)


def due_at(placed_at: datetime, mode: str) -> datetime:
    return placed_at + PROMISE.get(mode, PROMISE[FulfilmentMode.DELIVERY])


def batch_key(order: Pickable) -> tuple[int, datetime, datetime, int]:
    """Rush orders first; then the one due soonest (a pickup order placed an hour ago before a
    delivery placed this morning); then the oldest; the id settles ties."""
    rush = 0 if order.priority == Priority.RUSH else 1
    return (rush, due_at(order.placed_at, order.fulfilment_mode), order.placed_at, order.order_id)


def batch_order(orders: Iterable[P]) -> list[P]:
    """Accepted orders in the order a picker should take them."""
    return sorted(orders, key=batch_key)


def batch_problem(order_ids: list[int]) -> str | None:
    if not order_ids:
        return "batch_empty"
    if len(order_ids) > MAX_BATCH:
        return "batch_too_large"
    return "batch_repeats" if len(set(order_ids)) != len(order_ids) else None


def shelf_key(bin: str | None, sku: str, order_number: str) -> tuple[int, str, str, str]:
    """A pick list walks the shelves in position order; products with no position come last."""
    return (1 if bin is None else 0, bin or "", sku, order_number)


# -- quantities and parcels -----------------------------------------------------------------------

MAX_UNITS = 10_000  # an order line holds at most this many (orders.drafts)
MAX_PARCELS = 99
MAX_WEIGHT_G = 1_000_000  # a tonne: beyond it, a typing mistake


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def pick_problem(quantity: int, ordered: int, picked: int) -> str | None:
    """Confirming ``quantity`` more units of a line of which ``picked`` of ``ordered`` are taken."""
    if not _whole(quantity) or quantity < 1 or quantity > MAX_UNITS:
        return "quantity_invalid"
    return "more_than_ordered" if picked + quantity > ordered else None


def short_problem(found: int, ordered: int) -> str | None:
    """A short pick: the picker could take only ``found`` units of the line in all."""
    if not _whole(found) or found < 0:
        return "found_invalid"
    return "not_short" if found >= ordered else None


def parcel_problems(parcels: int, weight_g: int) -> dict[str, str]:
    found = {}
    if not _whole(parcels) or not 1 <= parcels <= MAX_PARCELS:
        found["parcels"] = "parcels_invalid"
    if not _whole(weight_g) or not 1 <= weight_g <= MAX_WEIGHT_G:
        found["weight_g"] = "weight_invalid"
    return found


def all_picked(lines: Iterable[tuple[int, int]]) -> bool:
    """(ordered, picked) per line: every unit of every line is in the basket."""
    return all(picked >= ordered for ordered, picked in lines)


# -- shipping -------------------------------------------------------------------------------------

MAX_TRACKING = 100


def normalise_tracking(raw: str) -> str:
    return raw.strip()


def tracking_problem(cleaned: str) -> str | None:
    if not cleaned or inputs.is_blank(cleaned):
        return "tracking_required"
    if len(cleaned) > MAX_TRACKING:
        return "tracking_too_long"
    return "tracking_invalid" if any(ord(char) < 32 for char in cleaned) else None


@dataclass(frozen=True)
class CarrierInfo:
    code: str
    name: str
    tracking_url: str = ""  # "https://…{number}…", or empty: no page to follow


DEFAULT_CARRIERS: tuple[CarrierInfo, ...] = (
    CarrierInfo(
        "colissimo", "La Poste Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code={number}"
    ),
    CarrierInfo(
        "chronopost",
        "Chronopost",
        "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={number}",
    ),
    CarrierInfo("dhl", "DHL", "https://www.dhl.com/fr-fr/home/tracking.html?tracking-id={number}"),
    CarrierInfo("ups", "UPS", "https://www.ups.com/track?tracknum={number}"),
    CarrierInfo("other", "Other", ""),
)
CARRIER_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def carrier_problems(carrier: CarrierInfo) -> dict[str, str]:
    found = {}
    if not CARRIER_CODE.match(carrier.code):
        found["code"] = "carrier_code_invalid"
    if inputs.is_blank(carrier.name) or len(carrier.name) > 80:
        found["name"] = "carrier_name_invalid"
    url = carrier.tracking_url
    if url and (len(url) > 300 or not url.startswith("https://") or url.count("{number}") != 1):
        found["tracking_url"] = "tracking_url_invalid"
    return found


def tracking_link(template: str, number: str) -> str | None:
    """The carrier's page for this parcel, the number escaped into the template's one slot."""
    return template.replace("{number}", quote(number, safe="")) if template else None


# -- pickup codes ---------------------------------------------------------------------------------

CODE_DIGITS = 6
MAX_WRONG_CODES = 5
LOCKOUT = timedelta(minutes=15)
_CODE = re.compile(r"^[0-9]{6}$")


def pickup_key(secret_key: str) -> bytes:
    """The key pickup codes are made and checked with, derived from the instance secret so that
    it serves nothing else."""
    return hmac.new(secret_key.encode(), b"comptoir pickup codes v1", hashlib.sha256).digest()


def pickup_code(key: bytes, order_id: int, salt: str) -> str:
    """The customer's 6-digit code: the same for the same order and salt, so the tracking page can
    show it again without the code being stored anywhere."""
    digest = hmac.new(key, f"code:{order_id}:{salt}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def code_hash(key: bytes, order_id: int, code: str) -> str:
    """What is stored to check a code: keyed, and bound to its order (a code of another order
    never matches)."""
    return hmac.new(key, f"check:{order_id}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(key: bytes, order_id: int, code: str, stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(code_hash(key, order_id, code), stored)


def normalise_code(raw: str) -> str:
    """As typed or read off a screen: "123 456" and "123-456" are "123456"."""
    return re.sub(r"[\s-]", "", raw)


def code_problem(cleaned: str) -> str | None:
    return None if _CODE.match(cleaned) else "code_invalid"


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_wrong_code(wrong_codes: int, now: datetime) -> tuple[int, datetime | None]:
    """(wrong codes counted, locked until) after one more wrong code: the fifth locks the order for
    15 minutes and the count starts again once the lock ends."""
    counted = wrong_codes + 1
    if counted >= MAX_WRONG_CODES:
        return 0, now + LOCKOUT
    return counted, None


def attempts_left(wrong_codes: int) -> int:
    return MAX_WRONG_CODES - wrong_codes


# -- handing over on an identity check -----------------------------------------------------------

MAX_IDENTITY_NOTE = 100  # what was shown: "ID card", "passport ending 4821"


def normalise_identity_note(raw: str) -> str:
    return " ".join(raw.split())


def identity_problems(checked: bool, note: str) -> dict[str, str]:
    """Staff hand an order over without its code only once they say they checked the person's
    identity document, and which one: both are kept on the order's timeline."""
    found = {}
    if checked is not True:
        found["identity_checked"] = "identity_not_checked"
    if not note:
        found["identity_note"] = "identity_note_required"
    elif len(note) > MAX_IDENTITY_NOTE or not note.isprintable():
        found["identity_note"] = "identity_note_invalid"
    return found


# -- the board ------------------------------------------------------------------------------------


class Stage(StrEnum):
    TO_PICK = "to_pick"
    PICKING = "picking"
    PACKED = "packed"
    READY_FOR_PICKUP = "ready_for_pickup"
    SHIPPED_TODAY = "shipped_today"


# The open stages and the status each one lists; "shipped today" is read by dispatch time.
STAGE_STATUS: Mapping[Stage, OrderStatus] = {
    Stage.TO_PICK: OrderStatus.ACCEPTED,
    Stage.PICKING: OrderStatus.PICKING,
    Stage.PACKED: OrderStatus.PACKED,
    Stage.READY_FOR_PICKUP: OrderStatus.READY_FOR_PICKUP,
}

SHORT_PICK_REASON = "short pick"  # the hold's reason, as the orders domain records reasons

MESSAGES: Mapping[str, str] = {
    "batch_empty": N_("Choose at least one order to pick."),
    "batch_too_large": N_("A batch holds at most 30 orders."),
    "batch_repeats": N_("An order appears twice in the batch."),
    "wrong_location": N_("This order is served from another location."),
    "not_on_order": N_("This product is not on the order."),
    "code_required": N_("Scan or type a SKU or barcode."),
    "quantity_invalid": N_("Enter a whole number of units from 1."),
    "more_than_ordered": N_("That is more than the order asks for."),
    "found_invalid": N_("Enter how many units are on the shelf (0 or more)."),
    "not_short": N_("There are enough units: confirm the line instead."),
    "not_picking": N_("This order is not being picked."),
    "not_all_picked": N_("Pick every line before packing."),
    "parcels_invalid": N_("Enter from 1 to 99 parcels."),
    "weight_invalid": N_("Enter the weight in grams, from 1 to 1,000,000."),
    "carrier_unknown": N_("Choose a carrier from the list."),
    "tracking_required": N_("Enter the tracking number."),
    "tracking_too_long": N_("A tracking number is at most 100 characters."),
    "tracking_invalid": N_("This tracking number holds characters that cannot be printed."),
    "code_invalid": N_("A pickup code is 6 digits."),
    "code_wrong": N_("This is not the order's pickup code."),
    "code_locked": N_("Too many wrong codes: this order is locked for 15 minutes."),
    "carrier_code_invalid": N_("Use up to 32 lower-case letters, digits, dashes or underscores."),
    "carrier_name_invalid": N_("Give the carrier's name (at most 80 characters)."),
    "tracking_url_invalid": N_("A tracking address starts with https:// and holds {number} once."),
    "identity_not_checked": N_("Check the customer's identity document, then tick the box."),
    "identity_note_required": N_("Say which document was shown, e.g. ID card."),
    "identity_note_invalid": N_("Describe the document in at most 100 characters."),
    "identity_or_code": N_("Give either the pickup code or an identity check, not both."),
    "picked_by_another": N_("%(name)s is picking this order."),
    "changed_by_another": N_("%(name)s changed this order meanwhile."),
}
