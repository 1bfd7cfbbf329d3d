"""The carriers the shop ships with, and the seam where a carrier's own service (printing labels,
booking collections) will plug in. None here needs a network: a shipment is recorded with the
tracking number the packer types or scans, and followed on the carrier's site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.fulfilment.errors import FulfilmentRejected
from backend.fulfilment.events import CarrierSaved
from backend.fulfilment.models import Carrier
from backend.fulfilment.rules import DEFAULT_CARRIERS, CarrierInfo, carrier_problems, tracking_link
from backend.kernel.events import record
from backend.kernel.tx import Tx


@dataclass(frozen=True)
class Parcel:
    """What a carrier integration is told about a shipment."""

    order_id: int
    order_number: str
    parcels: int
    weight_g: int
    address: dict[str, str | float | None] | None


@dataclass(frozen=True)
class Label:
    tracking_number: str
    document: bytes  # a PDF or ZPL label, as the carrier sends it
    media_type: str


class CarrierService(Protocol):
    """A carrier's own service. ``label`` books the parcel and returns its label, or None when the
    carrier has no integration and the packer enters the tracking number by hand. It runs before
    the ``ship`` command, never inside it: a network call has no place in a transaction."""

    def label(self, parcel: Parcel) -> Label | None: ...


class ManualCarrier:
    """Every carrier today: labels are made on the carrier's own site or counter."""

    def label(self, parcel: Parcel) -> Label | None:
        return None


SERVICES: dict[str, CarrierService] = {}  # carrier code → its integration, where one is installed


def service_for(code: str) -> CarrierService:
    return SERVICES.get(code, ManualCarrier())


def _infos(rows: list[Carrier]) -> list[CarrierInfo]:
    if not rows:  # none configured: the defaults
        return list(DEFAULT_CARRIERS)
    return [CarrierInfo(row.code, row.name, row.tracking_url) for row in rows if row.active]


_LISTED = select(Carrier).order_by(Carrier.position, Carrier.code)


async def carriers(session: AsyncSession) -> list[CarrierInfo]:
    """The carriers offered when shipping, in the shop's order."""
    return _infos(list(await session.scalars(_LISTED)))


def carriers_in(session: Session) -> list[CarrierInfo]:
    """``carriers`` inside a command's transaction."""
    return _infos(list(session.scalars(_LISTED)))


def carrier_named(session: Session, code: str) -> CarrierInfo:
    for carrier in carriers_in(session):
        if carrier.code == code.strip():
            return carrier
    raise FulfilmentRejected({"carrier": "carrier_unknown"})


def link_for(carrier_list: list[CarrierInfo], code: str | None, number: str | None) -> str | None:
    """Where the customer follows the parcel: the carrier's page, if it has one."""
    found = next((carrier for carrier in carrier_list if carrier.code == code), None)
    return tracking_link(found.tracking_url, number) if found is not None and number else None


def save_carrier(tx: Tx, actor_id: int | None, carrier: CarrierInfo, *, active: bool = True) -> None:
    """Command: add or change a carrier (by code). The first one saved replaces the defaults, which
    are written alongside so that the list only changes by what was asked."""
    carrier = CarrierInfo(carrier.code.strip(), carrier.name.strip(), carrier.tracking_url.strip())
    if problems := carrier_problems(carrier):
        raise FulfilmentRejected(problems)
    session = tx.session
    if session.scalar(select(Carrier.code).limit(1)) is None:
        for position, default in enumerate(DEFAULT_CARRIERS):
            session.add(
                Carrier(
                    code=default.code, name=default.name, tracking_url=default.tracking_url, position=position
                )
            )
        session.flush()
    row = session.get(Carrier, carrier.code)
    if row is None:
        position = len(session.scalars(select(Carrier.code)).all())
        row = Carrier(code=carrier.code, position=position)
        session.add(row)
    row.name, row.tracking_url, row.active = carrier.name, carrier.tracking_url, active
    saved = CarrierSaved(code=carrier.code, name=carrier.name, active=active)
    record(tx, saved, f"carrier:{carrier.code}", actor_id)
