"""Reading the log for invoicing's reactions (``reactions.py``), in each process.

The reader starts after the durable cursor (``event_cursors``, consumer ``invoicing``; on a new
install, after what the log already holds: its history is not invoiced again) and goes through the
log in its order, as far as it is settled (``kernel.events.events_after``). The events it may react
to go to one ``react`` command per batch, which also moves the cursor. The tailer wakes it as
events arrive (``on_event``); otherwise it looks every ``poll`` seconds. Several processes may read
the same events: every reaction is a no-op the second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from backend.invoicing import reactions
from backend.invoicing.billing import get_billing
from backend.kernel.db import Database
from backend.kernel.events import (
    Event,
    EventCursor,
    Position,
    events_after,
    latest_position,
    position,
    position_of,
)

log = logging.getLogger("comptoir.invoicing")
BATCH = 200


class Reactions:
    """The process's reader: woken by the tailer when an event it may react to is read."""

    def __init__(self, poll: float = 1.0) -> None:
        self.poll = poll
        self.wake = asyncio.Event()
        self.position: Position | None = None

    def on_event(self, event: Event) -> None:
        if reactions.concerns(event):
            self.wake.set()

    async def start(self, db: Database) -> None:
        async with db.read() as session:
            cursor = await session.get(EventCursor, reactions.CONSUMER)
            settings = await get_billing(session)
            # While no reaction is set up the cursor is not kept: what came since is not caught up.
            off = not (settings.auto_invoice_at or settings.pay_before_dispatch)
            at = await position_of(session, cursor.last_event_id) if cursor and not off else None
            self.position = at or await latest_position(session)
        if cursor is None and self.position[1]:
            await db.run(reactions.move_cursor, self.position[1])

    async def round(self, db: Database) -> int:
        """Read and react to what follows; returns how many events were read."""
        assert self.position is not None
        async with db.read() as session:
            found = await events_after(session, self.position, BATCH)
        if not found:
            return 0
        relevant = tuple(reactions.seen(event) for event in found if reactions.concerns(event))
        if relevant and not await self._settings_want_nothing(db, relevant):
            await db.run(reactions.react, relevant)
        self.position = position(found[-1])
        return len(found)

    @staticmethod
    async def _settings_want_nothing(db: Database, relevant: tuple[reactions.Seen, ...]) -> bool:
        """No auto-invoice, no method to be paid first and no cash: nothing to write (most shops,
        most of the time), so no command runs."""
        async with db.read() as session:
            settings = await get_billing(session)
        cash = any(
            event.type == "delivery.dropped_off" and event.data.get("cash_minor") for event in relevant
        )
        return not (settings.auto_invoice_at or settings.pay_before_dispatch or cash)

    async def run(self, db: Database) -> None:
        await self.start(db)
        while True:
            try:
                if await self.round(db) == BATCH:
                    continue
            except Exception:  # a reaction that fails is logged and read again on the next round
                log.exception("invoicing reactions failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll)
            self.wake.clear()
