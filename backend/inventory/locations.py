"""Warehouses and shops: create and edit, with exactly one default location at all times."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.inventory import rules
from backend.inventory.events import LocationCreated, LocationUpdated
from backend.inventory.models import Location
from backend.inventory.rules import LocationInput
from backend.kernel.db import Database
from backend.kernel.events import record
from backend.kernel.tx import Tx

# Changes of the default flag are serialised: two people making two different locations the
# default at once would otherwise each clear the old one and both win (PostgreSQL, read committed).
# SQLite has one writer at a time already.
_DEFAULT_LOCK = 0x4C6F6361


class LocationRejected(Exception):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class LocationConflict(Exception):
    """The location changed since the form was shown."""


class LocationNotFound(Exception):
    pass


def input_of(location: Location) -> LocationInput:
    return LocationInput(
        code=location.code,
        name=location.name,
        kind=location.kind,
        address=location.address,
        latitude=location.latitude,
        longitude=location.longitude,
        is_pickup_point=location.is_pickup_point,
        is_default=location.is_default,
    )


async def list_locations(session: AsyncSession) -> list[Location]:
    return list(await session.scalars(select(Location).order_by(Location.is_default.desc(), Location.code)))


async def get_location(session: AsyncSession, location_id: int) -> Location:
    location = await session.get(Location, location_id)
    if location is None:
        raise LocationNotFound(location_id)
    return location


def _serialise_default_changes(tx: Tx) -> None:
    if tx.dialect == "postgresql":
        tx.execute("SELECT pg_advisory_xact_lock(:k)", {"k": _DEFAULT_LOCK})


def _check_code(session: Session, code: str, location_id: int | None) -> None:
    query = select(Location.id).where(Location.code == code)
    if location_id is not None:
        query = query.where(Location.id != location_id)
    if session.scalar(query.limit(1)) is not None:
        raise LocationRejected({"code": "code_taken"})


def _make_sole_default(session: Session, location_id: int) -> None:
    session.execute(
        update(Location)
        .where(Location.is_default.is_(True), Location.id != location_id)
        .values(is_default=False, version=Location.version + 1)
    )


def _checked(wanted: LocationInput) -> None:
    if problems := rules.location_problems(wanted):
        raise LocationRejected(problems)


async def create_location(db: Database, actor_id: int | None, wanted: LocationInput) -> int:
    _checked(wanted)
    try:
        return await db.run(_create, actor_id, wanted)
    except IntegrityError:  # the same code, created at the same moment by someone else
        raise LocationRejected({"code": "code_taken"}) from None


def _create(tx: Tx, actor_id: int | None, wanted: LocationInput) -> int:
    session = tx.session
    _serialise_default_changes(tx)
    _check_code(session, wanted.code, None)
    first = not session.scalar(select(func.count()).select_from(Location))
    values = asdict(wanted) | {"is_default": wanted.is_default or first}
    location = Location(**values)
    session.add(location)
    session.flush()
    if location.is_default:
        _make_sole_default(session, location.id)
    record(tx, LocationCreated(code=location.code), f"location:{location.id}", actor_id)
    return location.id


async def update_location(
    db: Database, actor_id: int | None, location_id: int, wanted: LocationInput, expected_version: int
) -> None:
    _checked(wanted)
    try:
        await db.run(_update, actor_id, location_id, wanted, expected_version)
    except IntegrityError:
        raise LocationRejected({"code": "code_taken"}) from None


def _update(
    tx: Tx, actor_id: int | None, location_id: int, wanted: LocationInput, expected_version: int
) -> None:
    session = tx.session
    _serialise_default_changes(tx)
    location = session.get(Location, location_id, with_for_update=True)
    if location is None:
        raise LocationNotFound(location_id)
    if location.version != expected_version:
        raise LocationConflict(location_id)
    if location.is_default and not wanted.is_default:
        raise LocationRejected({"is_default": "default_required"})
    _check_code(session, wanted.code, location_id)
    _apply(tx, actor_id, location, wanted)


def _apply(tx: Tx, actor_id: int | None, location: Location, wanted: LocationInput) -> None:
    before = asdict(input_of(location))
    changes = {key: [before[key], value] for key, value in asdict(wanted).items() if before[key] != value}
    if not changes:
        return
    if wanted.is_default:
        _make_sole_default(tx.session, location.id)
    for key, (_, value) in changes.items():
        setattr(location, key, value)
    location.version += 1
    tx.session.flush()
    record(tx, LocationUpdated(code=location.code, changes=changes), f"location:{location.id}", actor_id)
