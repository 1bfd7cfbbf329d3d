"""Stock rules. Pure Python: quantities, movement kinds and when to reorder."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from backend.i18n.translation import N_
from backend.web import inputs

# Above this, a quantity is a typing mistake, not a delivery.
MAX_QUANTITY = 1_000_000


class MovementKind(StrEnum):
    RECEIPT = "receipt"  # goods arrived from a supplier
    SALE = "sale"  # goods left with an order
    ADJUSTMENT = "adjustment"  # a correction with a reason (damage, theft, found)
    TRANSFER_OUT = "transfer_out"  # sent to another location
    TRANSFER_IN = "transfer_in"  # arrived from another location
    RETURN = "return"  # came back from a customer
    COUNT_CORRECTION = "count_correction"  # a cycle count found a different quantity
    DISCREPANCY = "discrepancy"  # a picker found fewer on the shelf than the books said


MOVEMENT_LABELS = {
    MovementKind.RECEIPT: N_("Receipt"),
    MovementKind.SALE: N_("Sale"),
    MovementKind.ADJUSTMENT: N_("Adjustment"),
    MovementKind.TRANSFER_OUT: N_("Transfer out"),
    MovementKind.TRANSFER_IN: N_("Transfer in"),
    MovementKind.RETURN: N_("Return"),
    MovementKind.COUNT_CORRECTION: N_("Count correction"),
    MovementKind.DISCREPANCY: N_("Discrepancy"),
}


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    SHOP = "shop"


@dataclass(frozen=True)
class Line:
    """A wanted quantity of one product."""

    product_id: int
    quantity: int


def quantity_problem(quantity: int, *, allow_zero: bool = False, signed: bool = False) -> str | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return "not_a_whole_number"
    if signed:
        if quantity == 0 and not allow_zero:
            return "zero_change"
        return "too_large" if abs(quantity) > MAX_QUANTITY else None
    if quantity < 0 or (quantity == 0 and not allow_zero):
        return "not_positive"
    return "too_large" if quantity > MAX_QUANTITY else None


def merge_lines(lines: list[Line]) -> list[Line]:
    """One line per product, in product order: the order in which rows are locked (no deadlocks)."""
    totals: dict[int, int] = {}
    for line in lines:
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return [Line(product_id, quantity) for product_id, quantity in sorted(totals.items())]


def reorder_quantity(available: int, incoming: int, reorder_point: int, reorder_qty: int) -> int:
    """How much more to order: the reorder quantity once what we have and expect falls below the
    point, enough times over to get back above it."""
    if reorder_qty <= 0 or available + incoming >= reorder_point:
        return 0
    missing = reorder_point - (available + incoming)
    batches = -(-missing // reorder_qty)  # ceiling division
    return batches * reorder_qty


LOCATION_KIND_LABELS = {
    LocationKind.WAREHOUSE: N_("Warehouse"),
    LocationKind.SHOP: N_("Shop"),
}

MAX_REASON = 200
# A shelf position as written on the shelf label: "A-03-2", "COLD.1". Sorted as text on pick lists.
BIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _./-]{0,31}$")
# Codes are typed on phones and used in the API and in movement references: short and plain.
LOCATION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")

MESSAGES = {
    "not_a_whole_number": N_("Enter a whole number."),
    "zero_change": N_("Enter a change other than zero."),
    "not_positive": N_("Enter a number above zero."),
    "negative": N_("Enter zero or more."),
    "too_large": N_("Enter at most 1,000,000."),
    "reason_required": N_("Say why the stock changes."),
    "reason_too_long": N_("Use at most 200 characters."),
    "unknown_product": N_("No product has this SKU or barcode."),
    "no_product_matches": N_("No product matches “%(term)s”: search by name, SKU or barcode."),
    "choose_product": N_("Choose the product in the list."),
    "unknown_location": N_("Choose a location from the list."),
    "no_location": N_("Create a location first."),
    "below_reserved": N_("Not enough stock: %(on_hand)s on hand, %(reserved)s of them reserved."),
    "same_location": N_("Choose two different locations."),
    "counted_below_reserved": N_("%(reserved)s are reserved here: count again, or release orders first."),
    "count_stale": N_("The stock of these products moved while you counted. Count them again."),
    "reorder_changed": N_("Someone changed the reorder settings meanwhile. Review them and try again."),
    "code_invalid": N_("Use up to 32 letters, digits, dots, dashes or underscores."),
    "code_taken": N_("Another location already uses this code."),
    "name_required": N_("Enter a name."),
    "name_too_long": N_("Use at most 120 characters."),
    "kind_invalid": N_("Choose warehouse or shop."),
    "address_too_long": N_("Use at most 300 characters."),
    "not_a_number": N_("Enter a number, e.g. 48.8566."),
    "latitude_range": N_("A latitude lies between -90 and 90."),
    "longitude_range": N_("A longitude lies between -180 and 180."),
    "coordinates_pair": N_("Enter both latitude and longitude, or neither."),
    "default_required": N_("One location must stay the default: make another one the default instead."),
    "form_out_of_date": N_("The form is out of date. Reload the page and try again."),
    "nothing_counted": N_("Enter at least one counted quantity."),
    "bin_invalid": N_("A shelf position is up to 32 letters, digits, spaces, dots, dashes or slashes."),
    "bin_changed": N_("Someone changed this shelf position meanwhile. Review it and try again."),
    "csv_unknown_product": N_("No product has this SKU."),
    "csv_unknown_location": N_("No location has this code."),
    "csv_duplicate_level": N_("This product and location are already on an earlier line."),
}


@dataclass(frozen=True)
class LocationInput:
    code: str
    name: str
    kind: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    is_pickup_point: bool = False
    is_default: bool = False


def _coordinate_problem(value: float | None, limit: float, code: str) -> str | None:
    if value is None:
        return None
    return None if math.isfinite(value) and -limit <= value <= limit else code


def location_problems(location: LocationInput) -> dict[str, str]:
    """Field → problem code; empty when the location is acceptable."""
    found = {}
    if not LOCATION_CODE.match(location.code):
        found["code"] = "code_invalid"
    if inputs.is_blank(location.name) or len(location.name) > 120:
        found["name"] = "name_required" if inputs.is_blank(location.name) else "name_too_long"
    if location.kind not in set(LocationKind):
        found["kind"] = "kind_invalid"
    if len(location.address) > 300:
        found["address"] = "address_too_long"
    if latitude := _coordinate_problem(location.latitude, 90, "latitude_range"):
        found["latitude"] = latitude
    if longitude := _coordinate_problem(location.longitude, 180, "longitude_range"):
        found["longitude"] = longitude
    if (location.latitude is None) != (location.longitude is None):
        found.setdefault("longitude" if location.longitude is None else "latitude", "coordinates_pair")
    return found


def adjustment_problems(delta: int, reason: str) -> dict[str, str]:
    """An adjustment is a signed, non-zero change with a reason: the ledger must say why."""
    found = {}
    if problem := quantity_problem(delta, signed=True):
        found["delta"] = problem
    if inputs.is_blank(reason):
        found["reason"] = "reason_required"
    elif len(reason) > MAX_REASON:
        found["reason"] = "reason_too_long"
    return found


def normalise_bin(raw: str | None) -> str | None:
    """A shelf position as stored: trimmed, upper case; empty means none."""
    cleaned = (raw or "").strip().upper()
    return cleaned or None


def bin_problem(cleaned: str | None) -> str | None:
    return None if cleaned is None or BIN.match(cleaned) else "bin_invalid"


def free_to_promise(on_hand: int, reserved: int, backordered: int) -> int:
    """What is left once every promise is kept; negative while backorders wait for goods."""
    return on_hand - reserved - backordered


def is_low(on_hand: int, reserved: int, backordered: int, reorder_point: int) -> bool:
    """Below the reorder point, or owing units to customers: either way it needs attention.
    Reorder drafts use the same figure, plus what is already on order."""
    return free_to_promise(on_hand, reserved, backordered) < reorder_point
