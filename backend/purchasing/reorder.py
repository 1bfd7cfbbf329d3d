"""Draft purchase orders for stock that fell below its reorder point.

Runs inside the transaction that lowered the stock, so a reorder can never be lost or doubled by a
concurrent sale: the draft line it extends is written with the same commit.
"""

from __future__ import annotations

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Product
from backend.events import record
from backend.inventory.models import StockLevel
from backend.inventory.rules import reorder_quantity
from backend.numbering import next_number
from backend.purchasing.models import PurchaseOrder, PurchaseOrderLine
from backend.purchasing.rules import OPEN_STATUSES, PurchaseStatus


async def _incoming(session: AsyncSession, product_id: int, location_id: int) -> int:
    """Units already on order and not yet received."""
    value = await session.scalar(
        select(
            func.coalesce(
                func.sum(PurchaseOrderLine.quantity_ordered - PurchaseOrderLine.quantity_received), 0
            )
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrderLine.product_id == product_id,
            PurchaseOrder.location_id == location_id,
            PurchaseOrder.status.in_(OPEN_STATUSES),
        )
    )
    return int(value or 0)


async def _draft_for(session: AsyncSession, supplier_id: int, location_id: int) -> PurchaseOrder:
    draft = await session.scalar(
        select(PurchaseOrder)
        .where(
            PurchaseOrder.supplier_id == supplier_id,
            PurchaseOrder.location_id == location_id,
            PurchaseOrder.status == PurchaseStatus.DRAFT,
        )
        .order_by(PurchaseOrder.id)
        .limit(1)
        .with_for_update()
    )
    if draft is None:
        number = await next_number(session, "PO")
        draft = PurchaseOrder(
            number=number, supplier_id=supplier_id, location_id=location_id, status=PurchaseStatus.DRAFT
        )
        session.add(draft)
        await session.flush()
    return draft


async def _add_to_draft(session: AsyncSession, draft: PurchaseOrder, product_id: int, quantity: int) -> None:
    line = await session.scalar(
        select(PurchaseOrderLine).where(
            PurchaseOrderLine.purchase_order_id == draft.id, PurchaseOrderLine.product_id == product_id
        )
    )
    if line is None:
        session.add(
            PurchaseOrderLine(purchase_order_id=draft.id, product_id=product_id, quantity_ordered=quantity)
        )
    else:
        line.quantity_ordered += quantity
    draft.version += 1
    await session.flush()


async def draft_reorders(session: AsyncSession, touched: list[tuple[int, int]], actor_id: int | None) -> None:
    levels = await session.execute(
        select(StockLevel, Product.supplier_id)
        .join(Product, Product.id == StockLevel.product_id)
        .where(
            StockLevel.reorder_qty > 0,
            Product.supplier_id.is_not(None),
            tuple_(StockLevel.product_id, StockLevel.location_id).in_(touched),
        )
    )
    for level, supplier_id in levels:
        free = level.on_hand - level.reserved - level.backordered
        incoming = await _incoming(session, level.product_id, level.location_id)
        quantity = reorder_quantity(free, incoming, level.reorder_point, level.reorder_qty)
        if quantity == 0:
            continue
        draft = await _draft_for(session, supplier_id, level.location_id)
        await _add_to_draft(session, draft, level.product_id, quantity)
        await record(
            session,
            "purchasing.reorder_drafted",
            f"purchase_order:{draft.id}",
            actor_id,
            number=draft.number,
            product_id=level.product_id,
            location_id=level.location_id,
            quantity=quantity,
        )
