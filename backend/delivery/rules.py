"""Delivery rules. Pure Python, no I/O: statuses and failure reasons, the shop's delivery settings,
distances (haversine × road factor) and drive times, ETAs, what a drop-off must carry, who may
act on a run or see a proof, and the cash figures of a run."""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from backend.auth.rules import Permission
from backend.i18n.translation import N_
from backend.orders.rules import Actor


class RunStatus(StrEnum):
    PLANNED = "planned"  # stops may still be moved, added or removed
    STARTED = "started"  # the driver is out; its orders are out for delivery
    FINISHED = "finished"


class StopStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class FailureReason(StrEnum):
    NOBODY_HOME = "nobody_home"
    REFUSED = "refused"
    WRONG_ADDRESS = "wrong_address"
    UNSAFE = "unsafe"
    OTHER = "other"  # needs a note


class PinSource(StrEnum):
    OWNER = "owner"
    GEOCODER = "geocoder"
    DROP_OFF = "drop_off"


# A pin may be replaced by one of the same or a stronger source: a guess never moves the owner's.
PIN_STRENGTH: Mapping[PinSource, int] = {PinSource.GEOCODER: 0, PinSource.DROP_OFF: 1, PinSource.OWNER: 2}

MAX_STOPS = 200
MAX_NOTE = 300
MAX_RECIPIENT = 120
MAX_ACCURACY_M = 10_000  # a fix worse than 10 km says nothing about where the driver is
MAX_CASH_MINOR = 100_000_000
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class DeliveryRules:
    """The shop's delivery settings (``models.DeliverySettings``)."""

    service_minutes: int = 5  # at each stop: parking, ringing, handing over
    road_factor_percent: int = 130  # roads are longer than the straight line: × 1.3
    speed_kmh: int = 30  # average in town, stops at lights included
    require_photo: bool = False
    require_signature: bool = False
    require_recipient: bool = True
    require_position: bool = True

    @property
    def service_seconds(self) -> int:
        return self.service_minutes * 60


DEFAULT_SETTINGS = DeliveryRules()


def settings_problems(wanted: DeliveryRules) -> dict[str, str]:
    problems = {}
    if not 0 <= wanted.service_minutes <= 120:
        problems["service_minutes"] = "service_minutes_invalid"
    if not 100 <= wanted.road_factor_percent <= 300:
        problems["road_factor_percent"] = "road_factor_invalid"
    if not 5 <= wanted.speed_kmh <= 130:
        problems["speed_kmh"] = "speed_invalid"
    return problems


# -- places and distances -------------------------------------------------------------------------


def coordinates_problem(latitude: object, longitude: object) -> str | None:
    """Why a position cannot be on the map: not numbers, outside it, or (0, 0), the point in the
    Gulf of Guinea that a phone sends when it knows nothing."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (latitude, longitude))
    if not numbers or not all(math.isfinite(v) for v in (latitude, longitude)):  # type: ignore[arg-type]
        return "coordinate_invalid"
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # type: ignore[operator]
        return "coordinate_invalid"
    return "coordinate_invalid" if latitude == 0 and longitude == 0 else None


def accuracy_problem(accuracy_m: object) -> str | None:
    if (
        isinstance(accuracy_m, bool)
        or not isinstance(accuracy_m, int | float)
        or not math.isfinite(accuracy_m)
    ):
        return "accuracy_invalid"
    return None if 0 <= accuracy_m <= MAX_ACCURACY_M else "accuracy_invalid"


def address_key(line1: str | None, postal_code: str | None, city: str | None, country: str | None) -> str:
    """One spelling per address, so that orders to it share a stop and its pin: lower case,
    no accents or punctuation, single spaces."""
    text = " ".join(part or "" for part in (line1, postal_code, city, country))
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()[:200]


Point = tuple[float, float]  # latitude, longitude


def haversine_m(a: Point, b: Point) -> float:
    """The great-circle distance in metres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def road_leg(a: Point, b: Point, settings: DeliveryRules = DEFAULT_SETTINGS) -> tuple[int, int]:
    """(seconds, metres) by road, estimated: the straight line × the road factor, at the average
    speed."""
    meters = haversine_m(a, b) * settings.road_factor_percent / 100
    return round(meters * 3.6 / settings.speed_kmh), round(meters)


@dataclass(frozen=True)
class Matrix:
    """Drive times (s) and distances (m) between points, ``[from][to]``."""

    seconds: list[list[int]]
    meters: list[list[int]]


def estimated_matrix(points: Sequence[Point], settings: DeliveryRules = DEFAULT_SETTINGS) -> Matrix:
    size = len(points)
    seconds = [[0] * size for _ in range(size)]
    meters = [[0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1, size):
            s, m = road_leg(points[i], points[j], settings)
            seconds[i][j] = seconds[j][i] = s
            meters[i][j] = meters[j][i] = m
    return Matrix(seconds, meters)


def legs_along(
    points: Sequence[Point | None], settings: DeliveryRules = DEFAULT_SETTINGS
) -> list[tuple[int, int]]:
    """(seconds, metres) from each point to the next, for ``points[1:]``; a leg to or from an
    unknown place counts nothing (it is shown without an estimate rather than a wrong one)."""
    legs = []
    for before, after in itertools.pairwise(points):
        legs.append((0, 0) if before is None or after is None else road_leg(before, after, settings))
    return legs


# -- ETAs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EtaStop:
    leg_seconds: int  # from the previous stop (the start for the first)
    window_start: datetime | None = None
    done_at: datetime | None = None  # delivered or failed: when


def etas(
    stops: Sequence[EtaStop], departure: datetime, service_seconds: int, now: datetime | None = None
) -> list[datetime]:
    """When the driver reaches each stop. Done stops keep the moment they were done; the others
    follow from the last of them (or the departure): drive, wait for a window that has not opened,
    stay ``service_seconds``. A driver running late pushes every stop still to come: the next
    stop cannot be reached before ``now``."""
    result: list[datetime] = []
    cursor = departure
    late_checked = now is None
    for stop in stops:
        if stop.done_at is not None:
            result.append(stop.done_at)
            cursor = stop.done_at
            continue
        arrival = cursor + timedelta(seconds=stop.leg_seconds)
        if stop.window_start is not None and arrival < stop.window_start:
            arrival = stop.window_start
        if not late_checked:
            arrival, late_checked = max(arrival, now), True  # type: ignore[type-var]
        result.append(arrival)
        cursor = arrival + timedelta(seconds=service_seconds)
    return result


def is_late(eta: datetime, window_end: datetime | None) -> bool:
    return window_end is not None and eta > window_end


# -- drop-offs, failures, positions ---------------------------------------------------------------


@dataclass(frozen=True)
class DropOff:
    """What the driver sends for a drop-off. ``cash_minor`` is in the run's currency (``currency``
    says which the phone meant); ``at`` is the phone's clock when it was confirmed."""

    recipient: str = ""
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    cash_minor: int | None = None
    currency: str | None = None
    at: datetime | None = None
    stop_version: int | None = None  # as the phone last saw the stop


@dataclass(frozen=True)
class Fix:
    """A position the phone sent: where, how sure (metres), and its clock."""

    latitude: float
    longitude: float
    accuracy_m: float
    at: datetime | None = None


@dataclass(frozen=True)
class Proofs:
    """What the drop-off carries as files: the content hashes ``proofs.store`` returned."""

    photo: str | None = None
    signature: str | None = None


def drop_off_problems(
    drop: DropOff, proofs: Proofs, settings: DeliveryRules, *, currency: str, cash_expected: bool
) -> dict[str, str]:
    """Every problem of a drop-off at once (field → code); empty when it may be recorded."""
    problems: dict[str, str] = {}
    recipient = drop.recipient.strip()
    if len(recipient) > MAX_RECIPIENT or (settings.require_recipient and not recipient):
        problems["recipient"] = "recipient_required"
    has_position = drop.latitude is not None or drop.longitude is not None
    if has_position or settings.require_position:
        if problem := coordinates_problem(drop.latitude, drop.longitude):
            problems["position"] = problem if has_position else "position_required"
        elif problem := accuracy_problem(drop.accuracy_m):
            problems["accuracy_m"] = problem
    if settings.require_photo and proofs.photo is None:
        problems["photo"] = "photo_required"
    if settings.require_signature and proofs.signature is None:
        problems["signature"] = "signature_required"
    problems |= _cash_problems(drop.cash_minor, drop.currency, currency, cash_expected)
    if drop.at is not None and drop.at.tzinfo is None:
        problems["at"] = "moment_invalid"
    return problems


def _cash_problems(cash: int | None, said: str | None, currency: str, expected: bool) -> dict[str, str]:
    if cash is None:
        return {"cash_minor": "cash_required"} if expected else {}
    if isinstance(cash, bool) or not isinstance(cash, int) or not 0 <= cash <= MAX_CASH_MINOR:
        return {"cash_minor": "cash_invalid"}
    if said is not None and said.upper() != currency:
        return {"cash_minor": "currency_mismatch"}
    return {}


def failure_problems(reason: str, note: str) -> dict[str, str]:
    if reason not in {r.value for r in FailureReason}:
        return {"reason": "reason_invalid"}
    if len(note) > MAX_NOTE:
        return {"note": "note_too_long"}
    if reason == FailureReason.OTHER and not note.strip():
        return {"note": "note_required"}
    return {}


def amount_problem(amount: object, said: str | None, currency: str) -> str | None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_CASH_MINOR:
        return "cash_invalid"
    return "currency_mismatch" if said is not None and said.upper() != currency else None


# -- who may do what ------------------------------------------------------------------------------


def may_manage(actor: Actor) -> bool:
    """Plan runs: the owner and staff with ``deliveries.manage``."""
    return actor.can(Permission.DELIVERIES_MANAGE)


def may_drive(actor: Actor, driver_id: int) -> bool:
    """Act on a run (start it, confirm or fail its stops, send positions, finish it): its driver,
    or someone who both plans runs and delivers (the owner standing in)."""
    if actor.user_id == driver_id and actor.can(Permission.DELIVERIES_PERFORM):
        return True
    return may_manage(actor) and actor.can(Permission.DELIVERIES_PERFORM)


def may_read_run(actor: Actor, driver_id: int) -> bool:
    return may_manage(actor) or actor.can(Permission.ORDERS_VIEW) or actor.user_id == driver_id


@dataclass(frozen=True)
class ProofHolder:
    """Whose a proof is: the run's driver and the accounts of the stop's orders' customers."""

    driver_id: int
    customer_user_ids: frozenset[int]


def may_see_proof(actor: Actor, holders: Iterable[ProofHolder], *, tracking_order: bool = False) -> bool:
    """The owner and staff (orders.view or deliveries.manage), the run's driver, and the order's
    customer: signed in as its account, or holding its tracking link (``tracking_order``: the
    caller checked the link's token and that the proof belongs to that order)."""
    if tracking_order or may_manage(actor) or actor.can(Permission.ORDERS_VIEW):
        return True
    if actor.user_id is None:
        return False
    return any(actor.user_id == h.driver_id or actor.user_id in h.customer_user_ids for h in holders)


# -- cash -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CashFigures:
    """A run's cash, in ``currency`` minor units. ``expected``: the cash-on-delivery totals of the
    stops delivered; ``collected``: what the driver recorded at those stops; ``declared``: what
    they say they handed back; ``received``: what the owner counted. None: not yet said."""

    currency: str
    expected: int
    collected: int
    declared: int | None
    received: int | None

    @property
    def collection_difference(self) -> int:
        return self.collected - self.expected

    @property
    def handover_difference(self) -> int | None:
        return None if self.declared is None else self.declared - self.collected

    @property
    def receipt_difference(self) -> int | None:
        if self.received is None:
            return None
        return self.received - (self.declared if self.declared is not None else self.collected)

    @property
    def owed(self) -> int:
        """What the driver still holds: collected, less what the owner received."""
        return self.collected - (self.received or 0)


def cash_figures(
    currency: str,
    expected: Iterable[int],
    collected: Iterable[int | None],
    declared: int | None,
    received: int | None,
) -> CashFigures:
    return CashFigures(currency, sum(expected), sum(c or 0 for c in collected), declared, received)


MESSAGES: Mapping[str, str] = {
    "service_minutes_invalid": N_("The time at each stop is 0 to 120 minutes."),
    "road_factor_invalid": N_("The road factor is 100 to 300 %."),
    "speed_invalid": N_("The average speed is 5 to 130 km/h."),
    "coordinate_invalid": N_("These coordinates are outside the map."),
    "accuracy_invalid": N_("The accuracy is 0 to 10,000 metres."),
    "position_required": N_("The position of the drop-off is required."),
    "recipient_required": N_("Say who took the delivery (at most 120 characters)."),
    "photo_required": N_("A photo of the drop-off is required."),
    "signature_required": N_("A signature is required."),
    "signature_empty": N_("The signature is empty."),
    "proof_not_an_image": N_("This file is not a picture."),
    "proof_too_large": N_("This file is too large."),
    "cash_required": N_("Say how much cash was collected."),
    "cash_invalid": N_("A cash amount is a whole, positive number of cents."),
    "cash_amount_invalid": N_("Type the cash as an amount, such as 12.50."),
    "currency_mismatch": N_("This amount is not in the shop's currency."),
    "moment_invalid": N_("This time has no time zone."),
    "reason_invalid": N_("Choose why the delivery failed."),
    "note_required": N_("Say what happened."),
    "note_too_long": N_("The note is at most 300 characters."),
    "orders_empty": N_("Choose at least one order."),
    "too_many_stops": N_("A run has at most 200 stops."),
    "not_ready": N_("This order is not packed for delivery."),
    "already_planned": N_("This order is already on a run."),
    "currency_mixed": N_("All orders of one run must be in the same currency."),
    "driver_unknown": N_("No active driver has this account."),
    "drivers_empty": N_("Choose at least one driver."),
    "one_driver": N_("A run is for one driver: choose one, or plan the day for several."),
    "date_invalid": N_("Choose a date."),
    "run_not_planned": N_("This run has started: its stops can no longer change."),
    "run_not_started": N_("This run has not started."),
    "run_finished": N_("This run is finished."),
    "run_not_finished": N_("The run is not finished yet."),
    "stops_pending": N_("Some stops are neither delivered nor failed."),
    "stop_not_on_run": N_("This stop is not on the run."),
    "stop_done": N_("This stop is already done."),
    "stop_changed": N_("This stop changed since you last saw it."),
    "order_changed": N_("An order of this stop changed since you last saw it."),
    "run_changed": N_("The run changed since you last saw it."),
    "settings_changed": N_("The delivery settings changed since you opened them."),
    "address_required": N_("A delivery needs an address."),
    "cash_not_declared": N_("The driver has not declared the cash handed back yet."),
    "cash_already_received": N_("The cash of this run is already counted."),
    "no_position": N_("This address has no position: set a pin."),
    "window_unreachable": N_("No driver can reach this address within its slot."),
}

FAILURE_LABELS: Mapping[FailureReason, str] = {
    FailureReason.NOBODY_HOME: N_("Nobody home"),
    FailureReason.REFUSED: N_("Refused"),
    FailureReason.WRONG_ADDRESS: N_("Wrong address"),
    FailureReason.UNSAFE: N_("Unsafe"),
    FailureReason.OTHER: N_("Other"),
}
