"""What the stock screens, the API and orders ask for: adjust, transfer, count, set reorder
levels, reserve and release.

Each is one command (``Database.run``): validate, change through ``service`` (conditional UPDATEs,
ledger rows), record what was done and why (``stock.changed`` is quiet: it moves figures on open
pages but is not news), then ``service.settle`` for the new levels and, through ``on_low`` (purchasing's
``draft_reorder``, passed down by the caller), reorder drafts.

Reservations are the hot path (every order and basket change): they go through
``Database.run``, where on SQLite up to a batch of them share one transaction and one
settlement, so one ``stock.changed`` event covers every level the batch touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from backend.inventory import holds, levels, rules, service
from backend.inventory.events import (
    StockAdjusted,
    StockBinSet,
    StockBinsImported,
    StockCounted,
    StockReorderSet,
    StockTransferred,
)
from backend.inventory.holds import Held, Hold
from backend.inventory.levels import LevelView
from backend.inventory.models import Location
from backend.inventory.rules import Line, MovementKind
from backend.inventory.service import Count, Reorder, StockError
from backend.inventory.settling import OnLow, settle_batch
from backend.kernel.db import Database
from backend.kernel.events import record
from backend.kernel.tx import Tx


class StockRejected(Exception):
    """The request itself is wrong (field → problem code); nothing was written."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class CountStale(Exception):
    """Stock moved while these products were counted; they must be counted again."""

    def __init__(self, current: list[LevelView]) -> None:
        super().__init__("count_stale")
        self.current = current


@dataclass(frozen=True)
class Adjustment:
    product_id: int
    location_id: int
    delta: int
    reason: str


@dataclass(frozen=True)
class Transfer:
    product_id: int
    source_id: int
    target_id: int
    quantity: int


def _level(tx: Tx, product_id: int, location_id: int) -> LevelView:
    return LevelView(*tx.session.execute(levels.levels_query(location_id, [product_id])).one())


async def adjust(db: Database, actor_id: int | None, adjustment: Adjustment, *, on_low: OnLow) -> LevelView:
    """Change on-hand by a signed delta with a reason; returns the new level."""
    reason = adjustment.reason.strip()
    if problems := rules.adjustment_problems(adjustment.delta, reason):
        raise StockRejected(problems)
    change = service.Change(
        adjustment.product_id, adjustment.location_id, adjustment.delta, MovementKind.ADJUSTMENT, reason
    )
    return await db.run(_adjust, actor_id, change, on_low)


def _adjust(tx: Tx, actor_id: int | None, change: service.Change, on_low: OnLow) -> LevelView:
    service.change_on_hand(tx, change, actor_id)
    after = _level(tx, change.product_id, change.location_id)
    adjusted = StockAdjusted(
        sku=after.sku, location=after.location_code, delta=change.delta, reason=change.reason
    )
    record(tx, adjusted, f"stock:{after.product_id}", actor_id)
    service.settle(tx, actor_id, on_low)
    return after


async def transfer(db: Database, actor_id: int | None, move: Transfer, *, on_low: OnLow) -> None:
    if problem := rules.quantity_problem(move.quantity):
        raise StockRejected({"quantity": problem})
    if move.source_id == move.target_id:
        raise StockRejected({"target": "same_location"})
    await db.run(_transfer, actor_id, move, on_low)


def _transfer(tx: Tx, actor_id: int | None, move: Transfer, on_low: OnLow) -> None:
    service.transfer(
        tx,
        move.product_id,
        source=move.source_id,
        target=move.target_id,
        quantity=move.quantity,
        actor_id=actor_id,
    )
    source = _level(tx, move.product_id, move.source_id)
    target = _level(tx, move.product_id, move.target_id)
    moved = StockTransferred(
        sku=source.sku, source=source.location_code, target=target.location_code, quantity=move.quantity
    )
    record(tx, moved, f"stock:{move.product_id}", actor_id)
    service.settle(tx, actor_id, on_low)


async def count(
    db: Database, actor_id: int | None, location_id: int, counts: list[Count], *, on_low: OnLow
) -> int:
    """Apply a cycle count all at once; returns how many products were corrected. Raises
    ``CountStale`` with the current levels of the products that moved since they were shown."""
    try:
        return await db.run(_count, actor_id, location_id, counts, on_low)
    except StockError as exc:
        if exc.code != "count_stale":
            raise
        async with db.read() as session:
            stale = cast(list[int], exc.details["product_ids"])
            current = await levels.levels_at(session, location_id, stale)
        raise CountStale(current) from None


def _count(tx: Tx, actor_id: int | None, location_id: int, counts: list[Count], on_low: OnLow) -> int:
    corrections = sum(1 for item in counts if item.counted != item.expected)
    service.apply_count(tx, location_id, counts, actor_id)
    location = tx.session.get_one(Location, location_id)
    counted = StockCounted(location=location.code, counted=len(counts), corrections=corrections)
    record(tx, counted, f"location:{location_id}", actor_id)
    service.settle(tx, actor_id, on_low)
    return corrections


async def set_reorder(
    db: Database,
    actor_id: int | None,
    product_id: int,
    location_id: int,
    *,
    wanted: Reorder,
    seen: Reorder,
    on_low: OnLow,
) -> None:
    problems = {
        name: problem
        for name, value in (("reorder_point", wanted.point), ("reorder_qty", wanted.quantity))
        if (problem := rules.quantity_problem(value, allow_zero=True))
    }
    if problems:
        raise StockRejected(problems)
    await db.run(_set_reorder, actor_id, (product_id, location_id), (wanted, seen), on_low)


def _set_reorder(
    tx: Tx, actor_id: int | None, key: tuple[int, int], change: tuple[Reorder, Reorder], on_low: OnLow
) -> None:
    product_id, location_id = key
    wanted, seen = change
    service.set_reorder(tx, product_id, location_id, wanted, seen)
    level = _level(tx, product_id, location_id)
    reorder = StockReorderSet(
        sku=level.sku, location=level.location_code, point=wanted.point, quantity=wanted.quantity
    )
    record(tx, reorder, f"stock:{product_id}", actor_id)
    service.settle(tx, actor_id, on_low)


_SET_BIN = (
    "UPDATE stock_levels SET bin = :bin, version = version + 1"
    " WHERE product_id = :product_id AND location_id = :location_id"
)
# The position the person saw must still be there. Not the level's version: that moves with every
# sale, and a conflict nobody could resolve would only make the form harder to use.
_STILL_SEEN = " AND COALESCE(bin, '') = :seen"


def set_bin(
    tx: Tx,
    actor_id: int | None,
    product_id: int,
    location_id: int,
    bin: str | None,
    *,
    seen: str | None = None,
) -> LevelView:
    """Command: where the product sits on the location's shelves (``None`` or blank: nowhere
    said). Pick lists at the location follow it. ``seen``: the position the person was shown
    ("" for none), checked (``StockError("bin_changed")``); ``None`` sets it whatever it was.
    Raises ``StockRejected`` for a bad position."""
    cleaned = rules.normalise_bin(bin)
    if problem := rules.bin_problem(cleaned):
        raise StockRejected({"bin": problem})
    holds.ensure_level(tx, product_id, location_id)
    params = {"bin": cleaned, "product_id": product_id, "location_id": location_id}
    if seen is None:
        tx.execute(_SET_BIN, params)
    else:
        shown = rules.normalise_bin(seen) or ""
        if tx.execute(_SET_BIN + _STILL_SEEN, {**params, "seen": shown}).rowcount != 1:
            raise StockError("bin_changed")
    level = _level(tx, product_id, location_id)
    placed = StockBinSet(sku=level.sku, location=level.location_code, bin=cleaned or "")
    record(tx, placed, f"stock:{product_id}", actor_id)
    return level


@dataclass(frozen=True)
class Placement:
    """One line of a shelf positions file, checked: the product, the location, the position."""

    product_id: int
    location_id: int
    bin: str | None


_CHANGE_BIN = _SET_BIN + " AND COALESCE(bin, '') <> COALESCE(:bin, '')"


def import_bins(tx: Tx, actor_id: int | None, placements: list[Placement]) -> int:
    """Command: every line of a shelf positions file, or none; returns how many positions changed.
    One event for the file: a line per position would bury the feed."""
    changed = 0
    for placement in placements:
        cleaned = rules.normalise_bin(placement.bin)
        if problem := rules.bin_problem(cleaned):
            raise StockRejected({"bin": problem})
        holds.ensure_level(tx, placement.product_id, placement.location_id)
        params = {"bin": cleaned, "product_id": placement.product_id, "location_id": placement.location_id}
        changed += tx.execute(_CHANGE_BIN, params).rowcount
    record(tx, StockBinsImported(rows=len(placements), changed=changed), "stock", actor_id)
    return changed


def _reserve(
    tx: Tx, held_for: tuple[str, int], lines: list[Line], actor_id: int | None, on_low: OnLow
) -> list[Held]:
    reference, location_id = held_for  # (reference, location id)
    held = holds.reserve(tx, reference, lines, location_id)
    tx.at_batch_end(("stock.settle", actor_id), settle_batch(actor_id, on_low))
    return held


def _release(tx: Tx, reference: str, actor_id: int | None, on_low: OnLow) -> list[Hold]:
    given_back = holds.release(tx, reference)
    tx.at_batch_end(("stock.settle", actor_id), settle_batch(actor_id, on_low))
    return given_back


async def reserve_stock(
    db: Database,
    reference: str,
    lines: list[Line],
    location_id: int,
    actor_id: int | None = None,
    *,
    on_low: OnLow,
) -> list[Held]:
    """Hold every line for ``reference`` (e.g. ``order:42``) at the location, all or nothing:
    raises ``InsufficientStock`` naming each short line, having held nothing."""
    return await db.run(_reserve, (reference, location_id), lines, actor_id, on_low)


async def release_stock(
    db: Database, reference: str, actor_id: int | None = None, *, on_low: OnLow
) -> list[Hold]:
    """Give back everything held for ``reference``; returns what was held (nothing, if nothing was)."""
    return await db.run(_release, reference, actor_id, on_low)
