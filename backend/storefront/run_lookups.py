"""Which delivery run each order's stop waits on, as last read, for the live sockets that follow it:
a tracking page its order's, a customer's own socket those of all their orders.

A tracking socket asks before it passes on each message (``LiveStream.follow``), and most messages
(an order accepted, a driver's position) cannot change the answer: only a delivery command can put a
stop on a run, take it off, start the run or end the stop, and each records a ``delivery.*`` event.
So an answer is kept until the next such event (a position aside). The tailer tells this object of
each event before it publishes it (``on_event``), so no socket hears of a change before the answers
it may change are dropped; an answer read while such an event arrived is not kept (it may be older).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from backend.delivery.events import DriverPosition
from backend.kernel.db import Database
from backend.kernel.events import Event, type_of
from backend.storefront import progress

LIMIT = 10_000  # answers kept at most: the open tracking pages, with room to spare
_POSITION = type_of(DriverPosition)
T = TypeVar("T")


class RunLookups:
    def __init__(self) -> None:
        self._known: dict[int, int | None] = {}  # by order
        self._accounts: dict[int, frozenset[int]] = {}  # by account
        self._moves = 0  # delivery events seen: an answer read across one is not kept

    def on_event(self, event: Event) -> None:
        if event.type.startswith("delivery.") and event.type != _POSITION:
            self._moves += 1
            self._known.clear()
            self._accounts.clear()

    async def run_of(self, db: Database, order_id: int) -> int | None:
        return await self._kept(self._known, order_id, db, lambda session: progress.run_of(session, order_id))

    async def runs_of_account(self, db: Database, user_id: int) -> frozenset[int]:
        async def read(session: AsyncSession) -> frozenset[int]:
            return frozenset(await progress.runs_of_account(session, user_id))

        return await self._kept(self._accounts, user_id, db, read)

    async def _kept(
        self, known: dict[int, T], key: int, db: Database, read: Callable[[AsyncSession], Awaitable[T]]
    ) -> T:
        if key in known:
            return known[key]
        moves = self._moves
        async with db.read() as session:
            answer = await read(session)
        if moves == self._moves:
            if len(known) >= LIMIT:
                known.clear()
            known[key] = answer
        return answer
