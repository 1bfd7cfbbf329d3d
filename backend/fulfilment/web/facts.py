"""What fulfilment adds to an order read through the API (the orders domain's ``order_facts``
extension point): units picked per line, parcels, carrier and tracking number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.fulfilment.board import fulfilment_of


async def order_facts(session: AsyncSession, order_id: int) -> Mapping[str, Any]:
    view = await fulfilment_of(session, order_id)
    return {
        "picked": [line.picked_quantity for line in view.lines],
        "parcels": view.parcels,
        "carrier": view.carrier,
        "tracking_number": view.tracking_number,
    }


ORDER_FACTS = (order_facts,)
