"""Read-only stock summaries for other domains: for their pages (async, in a read session), and
for their commands (synchronous SQL text in the command's transaction, ``backend.kernel.tx``, one
statement a call, so that placing and editing an order take as few statements as before)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.inventory.models import StockLevel
from backend.kernel.tx import Tx

_LOCATIONS = "SELECT id, code, is_default, is_pickup_point, latitude, longitude FROM locations"
_FREE = "SELECT location_id, product_id, on_hand - reserved FROM stock_levels WHERE product_id "


@dataclass(frozen=True)
class StockLocation:
    """A stock location as choosing where an order is served needs it."""

    id: int
    code: str
    is_default: bool
    is_pickup_point: bool
    latitude: float | None
    longitude: float | None


def _location(row: tuple[object, ...]) -> StockLocation:
    return StockLocation(row[0], row[1], bool(row[2]), bool(row[3]), row[4], row[5])


def locations(tx: Tx) -> list[StockLocation]:
    """Every location, in id order."""
    return [_location(row) for row in tx.execute(_LOCATIONS + " ORDER BY id").fetchall()]


def location_by_code(tx: Tx, code: str) -> StockLocation | None:
    rows = tx.execute(_LOCATIONS + " WHERE code = :code", {"code": code}).fetchall()
    return _location(rows[0]) if rows else None


def free_by_location(tx: Tx, product_ids: list[int]) -> dict[int, dict[int, int]]:
    """Location → product → units free to sell (on hand less reserved), for these products."""
    free: dict[int, dict[int, int]] = {}
    rows = tx.execute(_FREE + tx.in_ids, {"ids": tx.array(product_ids)}).fetchall()
    for location_id, product_id, available in rows:
        free.setdefault(location_id, {})[product_id] = int(available)
    return free


async def available_by_product(session: AsyncSession, product_ids: list[int]) -> dict[int, int]:
    """Units free to sell per product, over every location."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(StockLevel.product_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .where(StockLevel.product_id.in_(product_ids))
        .group_by(StockLevel.product_id)
    )
    return {product_id: int(total or 0) for product_id, total in rows}
