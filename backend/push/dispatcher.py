"""The push dispatcher: from the event log to the push services, one active across processes.

Each process the app starts runs one (``run_forever``, like housekeeping); only the holder of the
lease (a ``push_leases`` row, renewed every third of its length, taken over once expired) works.
It reads the log after its durable cursor (``event_cursors``, in the log's order, ``(xact_id,
id)`` on PostgreSQL), decides who is told what (``planning``) and queues the notifications in the
transaction that moves the cursor (``service.enqueue``, refused if the lease was lost meanwhile):
an event's notifications are decided once, and a crash before that commit decides them again.
Queued notifications are sent concurrently, at most ``per_origin`` at a time to one push service,
so a dead one holds up nobody else; each answer is settled (``service.settle``) once it comes. A
crash between a push service's 201 and that settle sends that one notification again: the only
duplicate, and only after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import select

from backend.kernel.db import Database
from backend.kernel.events import (
    EventCursor,
    Position,
    events_after,
    events_held_back,
    gather_after,
    latest_position,
    position,
    position_of,
    recent_events,
)
from backend.ops.storage import log_failure
from backend.push import planning, service
from backend.push.models import PushDelivery, PushSubscription
from backend.push.sender import Push, Sender
from backend.push.service import CONSUMER, LeaseLost, Plan, Settled
from backend.push.vapid import VapidKeys

log = logging.getLogger("comptoir.push")

GATHER_SECONDS = 0.005  # after a wake-up, let a few more answers or commits arrive (under a stream
# of commits the log's own rule, ``gather_after``, waits longer)
HELD_BACK_SECONDS = 0.05  # an event waits for an older transaction: look again soon
LATE_EVERY_SECONDS = 30.0
STOP_GRACE_SECONDS = 2.0  # a clean stop waits this long for answers still coming


def holder_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Dispatcher:
    def __init__(
        self,
        db: Database,
        keys: VapidKeys,
        *,
        holder: str | None = None,
        lease_seconds: float = 15.0,
        poll_seconds: float = 0.5,
        batch: int = 500,
        max_in_flight: int = 256,
        per_origin: int = 64,
        timeout: float = 10.0,
        late_after_minutes: int | None = 10,
        sender: Sender | None = None,
    ) -> None:
        self.db = db
        self.holder = holder or holder_name()
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.max_in_flight = max_in_flight
        self.per_origin = per_origin
        self.late_after_minutes = late_after_minutes
        self.sender = sender or Sender(keys, timeout=timeout)
        self.active = False  # holds the lease
        self.position: Position | None = None  # where the log is read up to, while active
        self._renew_at = 0.0
        self._late_at = 0.0
        self._wake = asyncio.Event()
        # Whether the log may have moved since it was last read: set by ``wake`` (a commit, an
        # event read by the tailer), by a full batch and by the poll interval, not by a push
        # service's answer, which only needs settling.
        self._log_moved = True
        self._plan_at = 0.0
        self._stopped = False
        self._in_flight: dict[int, tuple[str, asyncio.Task[Settled]]] = {}
        self._answers: list[Settled] = []
        self._last_read = 0  # how many events the last plan read
        # Whether a notification may be due that was not looked for yet: one was queued, answers
        # freed room, the last look left some; otherwise only a retry's back-off ending makes one
        # due, looked for every ``poll_seconds`` (``_due_at``).
        self._look_for_due = True
        self._due_at = 0.0

    def wake(self, *_: object) -> None:
        """Look at the log now (e.g. after a commit that recorded events: ``db.on_commit``)."""
        self._log_moved = True
        self._wake.set()

    # -- the loop ---------------------------------------------------------------------------------

    async def run_forever(self) -> None:
        """Dispatch until ``stop``; a failing round is logged and tried again."""
        try:
            while not self._stopped:
                busy, held_back = False, False
                try:
                    busy, held_back = await self.step()
                except Exception as exc:
                    log_failure(log, "push dispatcher failed; will retry", exc)
                    await asyncio.sleep(self.poll_seconds)
                if not busy and not self._stopped:
                    await self._idle(HELD_BACK_SECONDS if held_back else self._wait_seconds())
        finally:
            await self._finish()

    async def stop(self) -> None:
        """Stop after the round under way: answers still coming are waited for (a couple of
        seconds at most) and settled, and the lease is released so another process takes over at
        once."""
        self._stopped = True
        self.wake()

    def _wait_seconds(self) -> float:
        return self.poll_seconds if self.active else max(self.lease_seconds / 3, 0.05)

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()
        await asyncio.sleep(max(GATHER_SECONDS, gather_after(self._last_read)))

    async def step(self) -> tuple[bool, bool]:
        """One round: hold the lease, queue what new events announce, start what is due, settle
        what was answered. Returns (more to do at once, an event held back)."""
        held_back = False
        busy = await self._settle()
        self._look_for_due = self._look_for_due or busy  # answers settled: room for more
        if await self._hold():
            planned = False
            if self._log_moved or time.monotonic() >= self._plan_at:
                self._log_moved = False  # before reading: a commit meanwhile sets it again
                planned, held_back = await self._plan()
                self._plan_at = time.monotonic() + (HELD_BACK_SECONDS if held_back else self.poll_seconds)
                self._log_moved = self._log_moved or planned
            started = await self._start_due() if self._may_be_due() else False
            busy = busy or planned or started
        return busy, held_back

    async def _finish(self) -> None:
        tasks = [task for _, task in self._in_flight.values()]
        if self._stopped:
            if tasks:
                await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in tasks:
                task.cancel()  # unanswered: it stays queued and is sent again
            with contextlib.suppress(Exception):
                await self._settle()
            if self.active:
                with contextlib.suppress(Exception):
                    await self.db.run(service.release_lease, self.holder)
        else:  # cancelled hard: what was in flight stays queued and is sent again
            for task in tasks:
                task.cancel()
        self.active = False
        await self.sender.close()

    # -- the lease --------------------------------------------------------------------------------

    async def _hold(self) -> bool:
        now = time.monotonic()
        if self.active and now < self._renew_at:
            return True
        held = await self.db.run(service.take_lease, self.holder, self.lease_seconds)
        if held and not self.active:
            log.info("push dispatcher %s is active", self.holder)
            self.position = await self._cursor()
        self.active = held
        self._renew_at = now + self.lease_seconds / 3
        return held

    def _lost(self) -> None:
        log.info("push dispatcher %s lost its lease", self.holder)
        self.active, self.position = False, None

    async def _cursor(self) -> Position:
        async with self.db.read() as session:
            event_id = await session.scalar(
                select(EventCursor.last_event_id).where(EventCursor.consumer == CONSUMER)
            )
            if event_id is None:
                start = await latest_position(session)
            else:
                found = await position_of(session, int(event_id))
                return found if found is not None else (0, int(event_id))
        await self.db.run(service.start_cursor, self.holder, start[1])
        return start

    # -- deciding ---------------------------------------------------------------------------------

    async def _plan(self) -> tuple[bool, bool]:
        assert self.position is not None
        async with self.db.read() as session:
            events = await events_after(session, self.position, self.batch, recent_events(self.db))
            self._last_read = len(events)
            held_back = len(events) < self.batch and await events_held_back(session)
            decided = await planning.decide(session, events)
            late = await self._late(session)
            decided.told += late.told
            decided.raise_alerts += late.raise_alerts
            planned = await planning.deliveries(session, decided)
        if not events and not decided.told:
            return False, held_back
        plan = Plan(
            self.holder,
            tuple(planned),
            events[-1].id if events else None,
            tuple(decided.raise_alerts),
            tuple(decided.clear_alerts),
        )
        try:
            await self.db.run(service.enqueue, plan)
        except LeaseLost:
            self._lost()
            return False, False
        if events:
            self.position = position(events[-1])
        self._look_for_due = self._look_for_due or bool(planned)
        return len(events) == self.batch or bool(planned), held_back

    async def _late(self, session: planning.AsyncSession) -> planning.Decided:
        now = time.monotonic()
        if self.late_after_minutes is None or now < self._late_at:
            return planning.Decided()
        self._late_at = now + LATE_EVERY_SECONDS
        return await planning.late_orders(session, datetime.now(UTC), self.late_after_minutes)

    # -- sending ----------------------------------------------------------------------------------

    def _may_be_due(self) -> bool:
        """Whether to look for due notifications this round: a look at every round read the queue
        for nothing at each commit of a busy shop, most of which queue no notification."""
        return self._look_for_due or time.monotonic() >= self._due_at

    async def _start_due(self) -> bool:
        room = self.max_in_flight - len(self._in_flight)
        if room <= 0:
            return False
        busy = Counter(origin for origin, _ in self._in_flight.values())
        started = 0
        due = await self._due(room)
        # Looked for now; again at once only if some were left (no room, or their push service busy).
        self._look_for_due, self._due_at = len(due) >= room, time.monotonic() + self.poll_seconds
        for push in due:
            origin = _origin(push.endpoint)
            if push.delivery_id in self._in_flight or busy[origin] >= self.per_origin:
                self._look_for_due = True
                continue
            busy[origin] += 1
            task = asyncio.create_task(self.sender.send(push), name=f"push-{push.delivery_id}")
            task.add_done_callback(self._answered)
            self._in_flight[push.delivery_id] = (origin, task)
            started += 1
            if started >= room:
                break
        return False  # answers wake the loop

    async def _due(self, limit: int) -> list[Push]:
        """Due deliveries not already on their way: the ones in flight are left out by the query
        rather than read again and skipped (reading them back each round cost more than sending)."""
        in_flight = list(self._in_flight)
        async with self.db.read() as session:
            rows = await session.execute(
                select(
                    PushDelivery.id,
                    PushDelivery.subscription_id,
                    PushSubscription.endpoint,
                    PushSubscription.p256dh,
                    PushSubscription.auth,
                    PushDelivery.payload,
                    PushDelivery.ttl,
                    PushDelivery.urgency,
                    PushDelivery.topic,
                    PushDelivery.attempts,
                )
                .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
                .where(PushDelivery.due_at <= datetime.now(UTC), PushDelivery.id.not_in(in_flight))
                .order_by(PushDelivery.due_at, PushDelivery.id)
                .limit(limit)
            )
            return [Push(*row) for row in rows]

    def _answered(self, task: asyncio.Task[Settled]) -> None:
        if not task.cancelled() and task.exception() is None:
            self._answers.append(task.result())
        self._wake.set()

    async def _settle(self) -> bool:
        if not self._answers:
            self._forget_failed_tasks()
            return False
        answers, self._answers = self._answers, []
        try:
            await self.db.run(service.settle, answers)
        except Exception:
            self._answers = answers + self._answers  # settled on the next round
            raise
        for answer in answers:
            self._in_flight.pop(answer.delivery_id, None)
        self._forget_failed_tasks()
        return True

    def _forget_failed_tasks(self) -> None:
        """A send that raised (a bug, not an answer) is freed: the delivery is tried again."""
        for delivery_id, (_, task) in list(self._in_flight.items()):
            if task.done() and (task.cancelled() or task.exception() is not None):
                if not task.cancelled():
                    log_failure(log, "push send failed", task.exception())  # type: ignore[arg-type]
                del self._in_flight[delivery_id]


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"
