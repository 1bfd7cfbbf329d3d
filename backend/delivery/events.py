"""What the delivery domain records, one Struct per event type, and the sentence each one reads
as. A run's events name its driver, so the driver's own topic can hear them."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from backend.i18n.translation import N_
from backend.kernel.events import DomainEvent, Sentence, says


class RunEvent(DomainEvent):
    driver: int


class RunPlanned(RunEvent, tag="delivery.run_planned"):
    day: str  # ISO date
    stops: int
    orders: int


class RunChanged(RunEvent, tag="delivery.run_changed"):
    change: str  # reordered, orders_added, stop_removed
    orders: int | UnsetType = UNSET
    stop: int | UnsetType = UNSET


class RunStarted(RunEvent, tag="delivery.run_started"):
    pass


class DroppedOff(RunEvent, tag="delivery.dropped_off"):
    stop: int
    orders: str  # the order numbers, comma-separated
    cash_minor: int | None = None


class DropOffFailed(RunEvent, tag="delivery.failed"):
    stop: int
    reason: str
    orders: str


class DriverPosition(RunEvent, tag="delivery.position"):
    latitude: float
    longitude: float
    accuracy_m: int


class RunFinished(RunEvent, tag="delivery.run_finished"):
    collected: int
    expected: int


class CashDeclared(RunEvent, tag="delivery.cash_declared"):
    declared: int
    collected: int
    difference: int | None
    currency: str


class CashReceived(RunEvent, tag="delivery.cash_received"):
    expected: int
    collected: int
    declared: int | None
    received: int
    difference: int | None
    currency: str


class PinSet(DomainEvent, tag="delivery.pin_set"):
    source: str  # owner, geocoder, drop_off


class SettingsSaved(DomainEvent, tag="delivery.settings_saved"):
    version: int


EVENTS: tuple[type[DomainEvent], ...] = (
    RunPlanned,
    RunChanged,
    RunStarted,
    DroppedOff,
    DropOffFailed,
    DriverPosition,
    RunFinished,
    CashDeclared,
    CashReceived,
    PinSet,
    SettingsSaved,
)

SENTENCES: dict[type[DomainEvent], Sentence] = {
    RunPlanned: says(N_("%(actor)s planned a run of %(stops)d stops for %(day)s")),
    RunChanged: says(N_("%(actor)s changed a delivery run")),
    RunStarted: says(N_("%(actor)s started a delivery run")),
    DroppedOff: says(N_("%(actor)s delivered %(orders)s")),
    DropOffFailed: says(N_("Delivery of %(orders)s failed: %(reason)s")),
    RunFinished: says(N_("%(actor)s finished a delivery run")),
    CashDeclared: says(N_("%(actor)s handed back the cash of a run")),
    CashReceived: says(N_("%(actor)s counted the cash of a run")),
}
