"""Importing marketplace orders from a CSV file: checked against the database for a preview, then
placed one by one through ``place_order``.

Each order is its own transaction, so an order short of stock is reported while the others go
in. A reference the marketplace channel already has is skipped: importing the same file twice
creates nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Product
from backend.inventory.models import Location
from backend.kernel.db import Database, outside_the_key
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders import csv_import
from backend.orders.csv_import import ImportedOrder, KnownOrder, Preview, RowProblem
from backend.orders.errors import DuplicateExternalRef, OrderRejected, OutOfStock
from backend.orders.events import OrderFileImported
from backend.orders.models import Order
from backend.orders.rules import Actor, Channel
from backend.orders.service import place_order

CHUNK = 500  # databases cap the number of bound parameters


@dataclass(frozen=True)
class CreatedOrder:
    external_ref: str
    id: int
    number: str
    status: str


@dataclass
class ImportResult:
    created: list[CreatedOrder] = field(default_factory=list)
    skipped: list[ImportedOrder] = field(default_factory=list)  # already imported
    failed: list[ImportedOrder] = field(default_factory=list)  # each with its problems
    stray: list[RowProblem] = field(default_factory=list)  # rows that name no order


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


async def _for_sale(session: AsyncSession, skus: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(skus):
        found.update(
            await session.scalars(select(Product.sku).where(Product.sku.in_(chunk), Product.active.is_(True)))
        )
    return found


async def _imported(session: AsyncSession, references: Iterable[str]) -> dict[str, KnownOrder]:
    found: dict[str, KnownOrder] = {}
    for chunk in _chunks(references):
        rows = await session.execute(
            select(Order.external_ref, Order.id, Order.number).where(
                Order.channel == Channel.MARKETPLACE.value, Order.external_ref.in_(chunk)
            )
        )
        found.update({reference: KnownOrder(order_id, number) for reference, order_id, number in rows})
    return found


async def check(db: Database, content: bytes) -> Preview:
    """The file read and checked against the catalog, the locations and the orders already there.
    Writes nothing."""
    preview = csv_import.read(content)
    if preview.file_problem:
        return preview
    async with db.read() as session:
        for_sale = await _for_sale(session, (sku for order in preview.orders for _, sku in order.skus))
        codes = set(await session.scalars(select(Location.code)))
        imported = await _imported(session, (order.external_ref for order in preview.orders))
    csv_import.check_against(preview, for_sale, codes, imported)
    return preview


async def _place(db: Database, actor: Actor, order: ImportedOrder, result: ImportResult) -> None:
    try:
        placed = await place_order(db, actor, order.draft())
    except DuplicateExternalRef as exc:  # imported meanwhile, by another import of the same file
        order.existing = KnownOrder(exc.order_id, exc.number)
        result.skipped.append(order)
    except OutOfStock as exc:
        order.problems += [
            RowProblem(order.row_of_sku(line.sku), "quantity", "csv_short", line.available)
            for line in exc.short
        ]
        result.failed.append(order)
    except OrderRejected as exc:  # what changed since the check: a product archived, a location gone
        order.problems += [order.problem(path, code) for path, code in exc.problems.items()]
        result.failed.append(order)
    else:
        result.created.append(CreatedOrder(order.external_ref, placed.id, placed.number, placed.status))


async def import_orders(db: Database, actor: Actor, content: bytes, filename: str) -> ImportResult | Preview:
    """Place every order of the file that is ready, each in its own transaction; returns the
    preview instead when the file itself is unusable. Raises ``OrderForbidden`` when ``actor``
    may not place orders."""
    preview = await check(db, content)
    if preview.file_problem:
        return preview
    result = ImportResult(
        failed=[order for order in preview.orders if order.existing is None and order.problems]
    )
    result.skipped, result.stray = preview.already_imported, preview.stray
    # Under an idempotency key, the key stands for the import's record below: a retry skips the
    # orders placed by the first attempt (by their reference) and answers its result.
    with outside_the_key():
        for order in preview.ready:
            await _place(db, actor, order, result)
    return await db.run(record_import, actor.user_id, filename, result)


def record_import(tx: Tx, actor_id: int | None, filename: str, result: ImportResult) -> ImportResult:
    """``order.file_imported``, once the file's orders are in: how many were created, skipped and
    failed. Returns the result, which a retry under the same key is answered with."""
    counts = {"created": len(result.created), "skipped": len(result.skipped), "failed": len(result.failed)}
    record(tx, OrderFileImported(filename=filename, **counts), "orders", actor_id)
    return result
