"""Which delivery run each order's stop waits on, as last read, for the live sockets that follow it.

A tracking socket asks before it passes on each message (``LiveStream.follow``), and most messages
(an order accepted, a driver's position) cannot change the answer: only a delivery command can put a
stop on a run, take it off, start the run or end the stop, and each records a ``delivery.*`` event.
So an answer is kept until the next such event (a position aside). The tailer tells this object of
each event before it publishes it (``on_event``), so no socket hears of a change before the answers
it may change are dropped; an answer read while such an event arrived is not kept (it may be older).
"""

from __future__ import annotations

from backend.delivery.events import DriverPosition
from backend.kernel.db import Database
from backend.kernel.events import Event, type_of
from backend.storefront import progress

LIMIT = 10_000  # answers kept at most: the open tracking pages, with room to spare
_POSITION = type_of(DriverPosition)


class RunLookups:
    def __init__(self) -> None:
        self._known: dict[int, int | None] = {}
        self._moves = 0  # delivery events seen: an answer read across one is not kept

    def on_event(self, event: Event) -> None:
        if event.type.startswith("delivery.") and event.type != _POSITION:
            self._moves += 1
            self._known.clear()

    async def run_of(self, db: Database, order_id: int) -> int | None:
        if order_id in self._known:
            return self._known[order_id]
        moves = self._moves
        async with db.read() as session:
            run_id = await progress.run_of(session, order_id)
        if moves == self._moves:
            if len(self._known) >= LIMIT:
                self._known.clear()
            self._known[order_id] = run_id
        return run_id
