"""What the fulfilment gives handlers below it: the facts it adds to an order's JSON
(``order_facts``, replacing the orders domain's own ``None``: plugins add their dependencies in
the app's order, and fulfilment comes after orders)."""

from __future__ import annotations

from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from backend.fulfilment.board import fulfilment_of
from backend.orders.web.dependencies import FactsRead, OrderFacts


async def order_facts(session: AsyncSession, order_id: int) -> OrderFacts:
    view = await fulfilment_of(session, order_id)
    return OrderFacts(
        [line.picked_quantity for line in view.lines], view.parcels, view.carrier, view.tracking_number
    )


def provide_order_facts() -> FactsRead | None:
    return order_facts


DEPENDENCIES = {"order_facts": Provide(provide_order_facts, sync_to_thread=False)}
