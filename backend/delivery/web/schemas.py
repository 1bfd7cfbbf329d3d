"""JSON shapes of the runs API (issue contract: field names are kept exactly)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Text = Annotated[str, msgspec.Meta(max_length=1000)]
Email = Annotated[str, msgspec.Meta(max_length=320)]
OrderIds = Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(max_length=200)]


class LocationIn(msgspec.Struct, forbid_unknown_fields=True):
    latitude: float
    longitude: float
    label: Annotated[str, msgspec.Meta(max_length=200)] = ""


class RunIn(msgspec.Struct, forbid_unknown_fields=True):
    driver: Email
    date: Annotated[str, msgspec.Meta(max_length=10)]
    orders: OrderIds
    location: LocationIn | None = None
    starts_at: datetime | None = None  # planned departure; 08:00 in the shop's zone otherwise


class VersionIn(msgspec.Struct, forbid_unknown_fields=True):
    version: int | None = None


class DeliveredIn(msgspec.Struct, forbid_unknown_fields=True):
    recipient: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    cash_minor: int | None = None
    currency: Annotated[str, msgspec.Meta(max_length=3)] | None = None
    signature_png: Annotated[str, msgspec.Meta(max_length=800_000)] | None = None  # base64
    at: datetime | None = None  # the phone's clock
    version: int | None = None  # the stop's, as the phone saw it


class FailedIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=32)]
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    at: datetime | None = None
    version: int | None = None


class PositionIn(msgspec.Struct, forbid_unknown_fields=True):
    latitude: float
    longitude: float
    accuracy_m: float
    at: datetime | None = None


class CashIn(msgspec.Struct, forbid_unknown_fields=True):
    amount_minor: int
    currency: Annotated[str, msgspec.Meta(max_length=3)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    version: int | None = None


class StopOut(msgspec.Struct):
    id: int
    sequence: int
    status: str
    orders: list[int]
    eta: datetime
    late: bool
    version: int
    address: str
    latitude: float | None
    longitude: float | None
    cash_to_collect_minor: int
    done_at: datetime | None
    device_at: datetime | None
    recipient: str | None
    cash_minor: int | None
    photo: str | None  # a path to the proof, for who may see it
    signature: str | None
    failure_reason: str | None


class PositionOut(msgspec.Struct):
    latitude: float
    longitude: float
    accuracy_m: int
    at: datetime


class CashOut(msgspec.Struct):
    currency: str
    expected_minor: int
    collected_minor: int
    declared_minor: int | None
    received_minor: int | None
    difference_minor: int | None  # received less declared (or collected), once counted
    owed_minor: int


class RunOut(msgspec.Struct):
    id: int
    status: str
    driver: str
    driver_id: int
    date: str
    stops: list[StopOut]
    version: int
    started_at: datetime | None
    finished_at: datetime | None
    last_position: PositionOut | None
    cash: CashOut


class RunStateOut(msgspec.Struct):
    id: int
    status: str
    version: int


class StopDoneOut(msgspec.Struct):
    """A confirmed or failed stop: the stop, and where its run stands."""

    run: RunStateOut
    stop: StopOut


class RunHeadOut(msgspec.Struct):
    id: int
    status: str
    driver_id: int
    driver: str
    date: str
    stops: int
    done: int
    version: int


class RunListOut(msgspec.Struct):
    items: list[RunHeadOut]


_STOP = {
    "id": 7,
    "sequence": 1,
    "status": "pending",
    "orders": [42],
    "eta": "2026-12-14T09:12:00Z",
    "late": False,
    "version": 1,
    "address": "1 rue de Rivoli, 75001 Paris",
    "latitude": 48.8606,
    "longitude": 2.3376,
    "cash_to_collect_minor": 0,
    "done_at": None,
    "device_at": None,
    "recipient": None,
    "cash_minor": None,
    "photo": None,
    "signature": None,
    "failure_reason": None,
}
RUN_EXAMPLE = {
    "id": 3,
    "status": "planned",
    "driver": "driver@shop.test",
    "driver_id": 5,
    "date": "2026-12-14",
    "stops": [_STOP],
    "version": 1,
    "started_at": None,
    "finished_at": None,
    "last_position": None,
    "cash": {
        "currency": "EUR",
        "expected_minor": 0,
        "collected_minor": 0,
        "declared_minor": None,
        "received_minor": None,
        "difference_minor": None,
        "owed_minor": 0,
    },
}
STOP_DONE_EXAMPLE = {
    "run": {"id": 3, "status": "started", "version": 2},
    "stop": {
        **_STOP,
        "status": "delivered",
        "version": 2,
        "eta": "2026-12-14T09:14:07Z",
        "done_at": "2026-12-14T09:14:07Z",
        "device_at": "2026-12-14T08:14:05Z",
        "recipient": "Ada Martin",
        "cash_minor": 2500,
        "cash_to_collect_minor": 2500,
        "photo": "/deliveries/proofs/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    },
}
RUN_LIST_EXAMPLE = {
    "items": [
        {
            "id": 3,
            "status": "started",
            "driver_id": 5,
            "driver": "Dani Driver",
            "date": "2026-12-14",
            "stops": 8,
            "done": 3,
            "version": 2,
        }
    ]
}
RUN_IN_EXAMPLE = {"driver": "driver@shop.test", "date": "2026-12-14", "orders": [42, 43]}
VERSION_EXAMPLE = {"version": 1}
DELIVERED_EXAMPLE = {
    "recipient": "Ada Martin",
    "latitude": 48.8606,
    "longitude": 2.3376,
    "accuracy_m": 12,
    "cash_minor": 2500,
    "at": "2026-12-14T09:14:05+01:00",
}
FAILED_EXAMPLE = {"reason": "nobody_home", "note": ""}
POSITION_EXAMPLE = {"latitude": 48.8606, "longitude": 2.3376, "accuracy_m": 15}
CASH_EXAMPLE = {"amount_minor": 2500, "currency": "EUR"}
