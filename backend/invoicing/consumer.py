"""Reading the log for invoicing's reactions (``reactions.py``), in each process.

The reader starts after the durable cursor (``event_cursors``, consumer ``invoicing``; on a new
install, after what the log already holds: its history is not invoiced again) and goes through the
log in its order, as far as it is settled (``kernel.events.events_after``). The events it may react
to go to one ``react`` command per batch, which also moves the cursor. The tailer wakes it as
events arrive (``on_event``); otherwise it looks every ``poll`` seconds. Several processes may read
the same events: every reaction is a no-op the second time.

A batch that fails is taken again one event at a time, so the events before the bad one are done.
The bad one is tried again after a back-off that doubles (``backoff``, 2 × ``backoff``, …), the
events behind it waiting (their order matters: a hold, then its release); after
``dead_letters.MAX_ATTEMPTS`` failures it is set aside (``dead_letters``, with the error, logged)
and the reader moves on. A failure of the database itself (unreachable, locked, out of room, a
serialization conflict) is not the event's fault: it is retried, never set aside for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Sequence

from sqlalchemy.exc import InterfaceError, OperationalError

from backend.invoicing import reactions
from backend.invoicing.billing import get_billing
from backend.kernel.db import Database
from backend.kernel.dead_letters import MAX_ATTEMPTS, Failed
from backend.kernel.errors import chain
from backend.kernel.events import (
    Event,
    EventCursor,
    Position,
    events_after,
    latest_position,
    position,
    position_of,
    recent_events,
)

log = logging.getLogger("comptoir.invoicing")
BATCH = 200
BACKOFF = 1.0  # seconds before a failed event is tried again, doubled at each failure
MAX_BACKOFF = 60.0
# PostgreSQL's classes of errors that are the server's state, not the event's: serialization
# conflicts, connections, resources, operator intervention.
TRANSIENT_SQLSTATES = ("40", "08", "53", "57")


class Reactions:
    """The process's reader: woken by the tailer when an event it may react to is read."""

    def __init__(self, poll: float = 1.0, backoff: float = BACKOFF) -> None:
        self.poll = poll
        self.backoff = backoff
        self.wake = asyncio.Event()
        self.position: Position | None = None
        self.failures: dict[int, int] = {}  # event id → failed attempts (in this process)
        self.retry_at = 0.0  # the loop's time before which a failed event is not tried again

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
        """Read and react to what follows; returns how many events were taken."""
        assert self.position is not None
        if asyncio.get_running_loop().time() < self.retry_at:
            return 0  # a failed event waits its back-off, and the events behind it with it
        async with db.read() as session:
            found = await events_after(session, self.position, BATCH, recent_events(db))
        if not found:
            return 0
        relevant = tuple(reactions.seen(event) for event in found if reactions.concerns(event))
        if relevant and not await self._settings_want_nothing(db, relevant):
            try:
                await db.run(reactions.react, relevant)
            except Exception:
                log.warning("invoicing reactions failed on a batch: taking its events one by one")
                return await self._one_by_one(db, found)
        self.position = position(found[-1])
        return len(found)

    async def _one_by_one(self, db: Database, found: Sequence[Event]) -> int:
        """Each event in its own command: those before a bad one are done; the bad one is tried
        again after its back-off, or set aside once it has failed too often."""
        for taken, event in enumerate(found):
            if reactions.concerns(event):
                seen = reactions.seen(event)
                try:
                    await db.run(reactions.react, (seen,))
                except Exception as exc:
                    if not await self._gave_up(db, seen, exc):
                        return taken
                self.failures.pop(event.id, None)
            self.position = position(event)
        return len(found)

    async def _gave_up(self, db: Database, seen: reactions.Seen, exc: Exception) -> bool:
        """Whether the event is set aside now; otherwise it waits its back-off."""
        now = asyncio.get_running_loop().time()
        if _transient(exc):
            log.warning("invoicing reaction to event %s waits for the database: %s", seen.id, exc)
            self.retry_at = now + min(self.backoff, MAX_BACKOFF)
            return False
        attempts = self.failures.get(seen.id, 0) + 1
        if attempts < MAX_ATTEMPTS:
            self.failures[seen.id] = attempts
            self.retry_at = now + min(self.backoff * 2 ** (attempts - 1), MAX_BACKOFF)
            log.warning(
                "invoicing reaction to event %s (%s) failed, attempt %d of %d: %r",
                seen.id,
                seen.type,
                attempts,
                MAX_ATTEMPTS,
                exc,
            )
            return False
        failed = Failed(reactions.CONSUMER, seen.id, seen.type, seen.subject, repr(exc), attempts)
        if await db.run(reactions.set_aside, failed):
            log.error(
                "invoicing set event %s (%s, %s) aside after %d attempts: %r",
                seen.id,
                seen.type,
                seen.subject,
                attempts,
                exc,
            )
        self.failures.pop(seen.id, None)
        return True

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
            except Exception:  # reading failed, or setting an event aside: read again on the next round
                log.exception("invoicing reactions failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll)
            self.wake.clear()


def _transient(exc: BaseException) -> bool:
    """Whether the error is the database's state rather than the event's (SQLAlchemy's error,
    the driver's under it, or one it was raised from)."""
    return any(
        isinstance(error, OperationalError | InterfaceError | sqlite3.OperationalError | OSError)
        or str(getattr(error, "sqlstate", "") or "").startswith(TRANSIENT_SQLSTATES)
        for error in chain(exc)
    )
