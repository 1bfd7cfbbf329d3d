"""Suppliers: the people purchase orders go to."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.kernel.db import Database
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.purchasing import rules
from backend.purchasing.events import SupplierCreated, SupplierUpdated
from backend.purchasing.models import Supplier
from backend.purchasing.rules import SupplierInput


class SupplierRejected(Exception):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class SupplierConflict(Exception):
    """The supplier changed since the form was shown."""


class SupplierNotFound(Exception):
    pass


def input_of(supplier: Supplier) -> SupplierInput:
    return SupplierInput(supplier.name, supplier.email, supplier.phone, supplier.lead_time_days)


async def list_suppliers(session: AsyncSession) -> list[Supplier]:
    return list(await session.scalars(select(Supplier).order_by(Supplier.name)))


async def get_supplier(session: AsyncSession, supplier_id: int) -> Supplier:
    supplier = await session.get(Supplier, supplier_id)
    if supplier is None:
        raise SupplierNotFound(supplier_id)
    return supplier


def _check_name(session: Session, name: str, supplier_id: int | None) -> None:
    query = select(Supplier.id).where(Supplier.name == name)
    if supplier_id is not None:
        query = query.where(Supplier.id != supplier_id)
    if session.scalar(query.limit(1)) is not None:
        raise SupplierRejected({"name": "name_taken"})


async def create_supplier(db: Database, actor_id: int | None, wanted: SupplierInput) -> int:
    if problems := rules.supplier_problems(wanted):
        raise SupplierRejected(problems)
    try:
        return await db.run(_create, actor_id, wanted)
    except IntegrityError:  # the same name, created at the same moment
        raise SupplierRejected({"name": "name_taken"}) from None


def _create(tx: Tx, actor_id: int | None, wanted: SupplierInput) -> int:
    session = tx.session
    _check_name(session, wanted.name, None)
    supplier = Supplier(**asdict(wanted))
    session.add(supplier)
    session.flush()
    record(tx, SupplierCreated(name=supplier.name), f"supplier:{supplier.id}", actor_id)
    return supplier.id


async def update_supplier(
    db: Database, actor_id: int | None, supplier_id: int, wanted: SupplierInput, fingerprint: str
) -> None:
    """``fingerprint`` is ``rules.supplier_fingerprint`` of what the form showed."""
    if problems := rules.supplier_problems(wanted):
        raise SupplierRejected(problems)
    try:
        await db.run(_update, actor_id, supplier_id, wanted, fingerprint)
    except IntegrityError:
        raise SupplierRejected({"name": "name_taken"}) from None


def _update(tx: Tx, actor_id: int | None, supplier_id: int, wanted: SupplierInput, fingerprint: str) -> None:
    session = tx.session
    supplier = session.get(Supplier, supplier_id, with_for_update=True)
    if supplier is None:
        raise SupplierNotFound(supplier_id)
    before = input_of(supplier)
    if rules.supplier_fingerprint(before) != fingerprint:
        raise SupplierConflict(supplier_id)
    _check_name(session, wanted.name, supplier_id)
    changes = {k: [v, getattr(wanted, k)] for k, v in asdict(before).items() if v != getattr(wanted, k)}
    if not changes:
        return
    for key, (_, value) in changes.items():
        setattr(supplier, key, value)
    session.flush()
    record(tx, SupplierUpdated(name=wanted.name, changes=changes), f"supplier:{supplier_id}", actor_id)
