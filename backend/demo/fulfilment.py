"""Demo orders through picking, packing and hand-over as the team does it: each fulfilment step
is the fulfilment domain's own command (a batch, lines confirmed, parcels, a pickup code given and
collected, a carrier and its tracking number), so the demo's orders carry what real ones carry."""

from __future__ import annotations

from sqlalchemy import select

from backend.fulfilment import board, rules, service
from backend.kernel.db import Database
from backend.orders import service as orders
from backend.orders.models import Order
from backend.orders.rules import Actor, OrderStatus

S = OrderStatus
CARRIERS = ("colissimo", "chronopost", "dhl", "ups")


class Walker:
    """Moves one demo order one status on, through fulfilment where the status is one of its."""

    def __init__(self, db: Database, owner: Actor, secret_key: str) -> None:
        self.db, self.owner, self.key = db, owner, rules.pickup_key(secret_key)
        self.codes: dict[int, str] = {}

    async def move(self, order_id: int, status: OrderStatus, reason: str = "") -> None:
        step = {
            S.PICKING: self._pick,
            S.PACKED: self._pack,
            S.READY_FOR_PICKUP: self._ready,
            S.PICKED_UP: self._collect,
            S.SHIPPED: self._ship,
        }.get(status)
        if step is None:
            await orders.transition_order(self.db, self.owner, order_id, status, reason=reason)
        else:
            await step(order_id)

    async def _pick(self, order_id: int) -> None:
        async with self.db.read() as session:
            location_id = await session.scalar(select(Order.location_id).where(Order.id == order_id))
        await self.db.run(service.start_batch, self.owner, location_id, [service.Seen(order_id)])
        lines = await self._lines(order_id)
        if lines:  # the first line is in the basket: a batch under way
            sku, quantity = lines[0]
            await self.db.run(service.confirm_pick, self.owner, order_id, sku, quantity)

    async def _pack(self, order_id: int) -> None:
        async with self.db.read() as session:
            view = await board.fulfilment_of(session, order_id)
        for line in view.lines:
            if line.quantity > line.picked_quantity:
                left = line.quantity - line.picked_quantity
                await self.db.run(service.confirm_pick, self.owner, order_id, line.sku, left)
        weight = 400 + 350 * sum(line.quantity for line in view.lines)
        await self.db.run(service.pack, self.owner, order_id, 1, weight)

    async def _ready(self, order_id: int) -> None:
        ready = await self.db.run(service.ready_for_pickup, self.owner, self.key, order_id)
        self.codes[order_id] = ready.pickup_code

    async def _collect(self, order_id: int) -> None:
        await self.db.run(service.collect, self.owner, self.key, order_id, self.codes.pop(order_id))

    async def _ship(self, order_id: int) -> None:
        carrier = CARRIERS[order_id % len(CARRIERS)]
        await self.db.run(service.ship, self.owner, order_id, carrier, f"DEMO{order_id:09d}FR")

    async def _lines(self, order_id: int) -> list[tuple[str, int]]:
        async with self.db.read() as session:
            view = await board.fulfilment_of(session, order_id)
        return [(line.sku, line.quantity) for line in view.lines]
