"""Read-only stock summaries for other domains' pages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.inventory.models import StockLevel


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
