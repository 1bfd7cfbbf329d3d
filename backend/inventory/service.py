"""Stock operations. Each works inside the caller's transaction (``session``) so that, e.g., an
order and its reservation commit together; counters change only through conditional UPDATEs taken
in product order, which keeps them exact and deadlock-free on both engines.

Reservations and settlement are synchronous SQL (``holds``, ``settling``), shared with the hot path
that runs them through ``Database.run`` (``commands.reserve_stock``); here they run in the
caller's session through ``run_sync``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.db import upsert_into
from backend.inventory import holds, settling
from backend.inventory.errors import InsufficientStock, Shortage, StockError
from backend.inventory.holds import Held, Hold
from backend.inventory.models import Location, Reservation, StockLevel, StockMovement
from backend.inventory.rules import Line, MovementKind
from backend.inventory.settling import TOUCHED, touch
from backend.tx import SessionTx

__all__ = ["Held", "Hold", "InsufficientStock", "Shortage", "StockError"]


def _touch(session: AsyncSession, product_id: int, location_id: int) -> None:
    touch(session.info, product_id, location_id)


def _level(product_id: int, location_id: int) -> object:
    return and_(StockLevel.product_id == product_id, StockLevel.location_id == location_id)


async def _ensure_level(session: AsyncSession, product_id: int, location_id: int) -> None:
    stmt = upsert_into(session, StockLevel).values(product_id=product_id, location_id=location_id)
    await session.execute(stmt.on_conflict_do_nothing())


async def available(session: AsyncSession, product_id: int, location_id: int) -> int:
    value = await session.scalar(
        select(StockLevel.on_hand - StockLevel.reserved).where(_level(product_id, location_id))
    )
    return int(value or 0)


async def default_location_id(session: AsyncSession) -> int:
    found = await session.scalar(
        select(Location.id).order_by(Location.is_default.desc(), Location.id).limit(1)
    )
    if found is None:
        raise StockError("no_location")
    return found


# -- reservations: the synchronous core (``holds``) in the caller's session -----------------------


async def reserve(session: AsyncSession, reference: str, lines: list[Line], location_id: int) -> list[Held]:
    """Hold every line at the location, or none: raises InsufficientStock naming each short line."""
    return await session.run_sync(lambda sync: holds.reserve(SessionTx(sync), reference, lines, location_id))


async def release(session: AsyncSession, reference: str) -> list[Hold]:
    """Give back everything held for ``reference`` (rejection, cancellation, a changed order)."""
    return await session.run_sync(lambda sync: holds.release(SessionTx(sync), reference))


async def consume(session: AsyncSession, reference: str, actor_id: int | None) -> list[Hold]:
    """Goods leave: the reservation becomes a sale movement. Backordered units must arrive first."""
    return await session.run_sync(lambda sync: holds.consume(SessionTx(sync), reference, actor_id))


# -- on-hand changes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    product_id: int
    location_id: int
    delta: int
    kind: MovementKind
    reason: str = ""
    reference: str = ""


def _movement(change: Change, actor_id: int | None) -> StockMovement:
    return StockMovement(
        product_id=change.product_id,
        location_id=change.location_id,
        kind=change.kind.value,
        quantity=change.delta,
        reason=change.reason,
        reference=change.reference,
        actor_id=actor_id,
    )


async def change_on_hand(session: AsyncSession, change: Change, actor_id: int | None) -> StockLevel:
    """``change_on_hand_in`` in an async session's transaction."""
    return await session.run_sync(change_on_hand_in, change, actor_id)


def change_on_hand_in(session: Session, change: Change, actor_id: int | None) -> StockLevel:
    """Add ``delta`` (may be negative) to on-hand stock; never below zero or below what is reserved."""
    if change.delta > 0:
        stmt = upsert_into(session, StockLevel).values(  # type: ignore[arg-type]
            product_id=change.product_id, location_id=change.location_id
        )
        session.execute(stmt.on_conflict_do_nothing())
    result = session.execute(
        update(StockLevel)
        .where(
            _level(change.product_id, change.location_id),
            StockLevel.on_hand + change.delta >= StockLevel.reserved,
        )
        .values(on_hand=StockLevel.on_hand + change.delta, version=StockLevel.version + 1)
        .returning(StockLevel)
    )
    level = result.scalar_one_or_none()
    if level is None:
        current = session.get(StockLevel, (change.product_id, change.location_id))
        raise StockError(
            "below_reserved",
            product_id=change.product_id,
            on_hand=current.on_hand if current else 0,
            reserved=current.reserved if current else 0,
        )
    session.add(_movement(change, actor_id))
    touch(session.info, change.product_id, change.location_id)
    if change.delta > 0 and level.backordered:
        _fill_backorders(session, change.product_id, change.location_id)
    return level


def _fill_backorders(session: Session, product_id: int, location_id: int) -> None:
    """Arriving stock goes first to units promised without stock, oldest promise first."""
    waiting = session.scalars(
        select(Reservation)
        .where(
            Reservation.product_id == product_id,
            Reservation.location_id == location_id,
            Reservation.backordered > 0,
        )
        .order_by(Reservation.created_at, Reservation.id)
        .with_for_update()
    )
    free_now = select(StockLevel.on_hand - StockLevel.reserved).where(_level(product_id, location_id))
    for reservation in waiting:
        filled = min(int(session.scalar(free_now) or 0), reservation.backordered)
        if filled <= 0:
            return
        reservation.quantity += filled
        reservation.backordered -= filled
        session.execute(
            update(StockLevel)
            .where(_level(product_id, location_id))
            .values(reserved=StockLevel.reserved + filled, backordered=StockLevel.backordered - filled)
        )
    session.flush()


async def transfer(
    session: AsyncSession, product_id: int, *, source: int, target: int, quantity: int, actor_id: int | None
) -> None:
    if source == target:
        raise StockError("same_location")
    steps = [
        Change(product_id, source, -quantity, MovementKind.TRANSFER_OUT, reference=f"location:{target}"),
        Change(product_id, target, quantity, MovementKind.TRANSFER_IN, reference=f"location:{source}"),
    ]
    for step in sorted(steps, key=lambda change: change.location_id):  # stable lock order
        await change_on_hand(session, step, actor_id)


@dataclass(frozen=True)
class Count:
    product_id: int
    expected: int  # what the counter was shown
    counted: int


async def apply_count(
    session: AsyncSession, location_id: int, counts: list[Count], actor_id: int | None
) -> list[int]:
    """Set on-hand to what was counted where it still is what the counter saw; returns the product
    ids that changed in the meantime (to be counted again), having applied nothing if any did."""
    stale = []
    for count in sorted(counts, key=lambda c: c.product_id):
        if count.counted == count.expected:
            continue
        try:
            await _set_counted(session, location_id, count, actor_id)
        except StockError:
            stale.append(count.product_id)
    if stale:
        raise StockError("count_stale", product_ids=stale)
    return stale


async def _set_counted(session: AsyncSession, location_id: int, count: Count, actor_id: int | None) -> None:
    await _ensure_level(session, count.product_id, location_id)
    result = await session.execute(
        update(StockLevel)
        .where(
            _level(count.product_id, location_id),
            StockLevel.on_hand == count.expected,
            StockLevel.reserved <= count.counted,
        )
        .values(on_hand=count.counted, version=StockLevel.version + 1)
    )
    if result.rowcount != 1:
        raise StockError("count_stale")
    delta = count.counted - count.expected
    correction = Change(count.product_id, location_id, delta, MovementKind.COUNT_CORRECTION)
    session.add(_movement(correction, actor_id))
    _touch(session, count.product_id, location_id)


@dataclass(frozen=True)
class Reorder:
    point: int
    quantity: int


async def set_reorder(
    session: AsyncSession, product_id: int, location_id: int, wanted: Reorder, seen: Reorder
) -> None:
    """Change the reorder settings if they are still what the person saw. The level's version moves
    with every sale, so comparing the settings themselves avoids conflicts nobody could resolve."""
    await _ensure_level(session, product_id, location_id)
    result = await session.execute(
        update(StockLevel)
        .where(
            _level(product_id, location_id),
            StockLevel.reorder_point == seen.point,
            StockLevel.reorder_qty == seen.quantity,
        )
        .values(reorder_point=wanted.point, reorder_qty=wanted.quantity, version=StockLevel.version + 1)
    )
    if result.rowcount != 1:
        raise StockError("reorder_changed")
    _touch(session, product_id, location_id)  # settle() drafts a reorder if the level is now low


# -- after every stock transaction ----------------------------------------------------------------


async def settle(session: AsyncSession, actor_id: int | None) -> None:
    """Draft reorders for what fell low and record one event with the new levels, so that stock
    screens update live. Call once, at the end of a transaction that changed stock."""
    touched = session.info.pop(TOUCHED, set())
    if touched:
        await session.run_sync(lambda sync: settling.settle(SessionTx(sync), touched, actor_id))
