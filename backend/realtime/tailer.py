"""Reads new events from the log and publishes their fragments to local sockets.

Each process runs one tailer. It wakes at once after a commit in its own process, on PostgreSQL
NOTIFY from any process, and otherwise every ``poll_seconds`` (SQLite shared by several processes).
It publishes in the log's order, as far as the log is settled (``backend.kernel.events``): on PostgreSQL a
committed event may wait for an older transaction to end, and it then looks again soon, since that
end need not be announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from litestar.channels import ChannelsPlugin
from sqlalchemy.engine import make_url

from backend.i18n.translation import current_timezone
from backend.kernel.db import NOTIFY_CHANNEL, Database
from backend.kernel.events import (
    START,
    Event,
    events_after,
    events_held_back,
    gather_after,
    latest_position,
    position,
    recent_events,
)
from backend.ops.storage import log_failure
from backend.realtime.listeners import Listeners
from backend.realtime.render import actor_names, render_locales
from backend.web.site import Site

log = logging.getLogger("comptoir.realtime")

# How soon to look again while a committed event waits for an older transaction to end.
HELD_BACK_SECONDS = 0.05


class Tailer:
    def __init__(
        self,
        db: Database,
        channels: ChannelsPlugin,
        poll_seconds: float,
        site: Site,
        timezone: Callable[[], str] = lambda: "UTC",
    ) -> None:
        self.db = db
        self.site = site  # the app's topic rules, fragments and templates
        self.channels = channels
        self.poll_seconds = poll_seconds
        self.timezone = timezone
        self.position = START
        self.cursor = 0  # the id of the event at ``position``: what pages resume after (``?since=``)
        self.last_read = 0  # how many events the last look found
        self._wake = asyncio.Event()
        # Also told by a flag: on Python 3.11, a cancel that lands as ``wait_for`` finishes can be
        # swallowed, and the loop would poll on after ``stop`` (a shutdown that never ends).
        self._stopped = False
        self._tasks: list[asyncio.Task[Any]] = []
        # Called with each new event before it is published, e.g. to refresh in-memory caches.
        self.observers: list[Callable[[Event], None]] = []
        self.listeners = Listeners()

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def start(self) -> None:
        async with self.db.read() as session:
            self.position = await latest_position(session)
        self.cursor = self.position[1]
        self._tasks.append(asyncio.create_task(self._run(), name="event-tailer"))
        if self.db.is_postgres:
            self._tasks.append(asyncio.create_task(self._listen(), name="event-listener"))

    async def stop(self) -> None:
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _run(self) -> None:
        held_back = False
        while not self._stopped:
            with contextlib.suppress(TimeoutError):
                wait = HELD_BACK_SECONDS if held_back else self.poll_seconds
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            self._wake.clear()
            try:
                held_back = await self.publish_new()
            except Exception as exc:
                log_failure(log, "tailer failed to publish; retrying", exc)
                await asyncio.sleep(self.poll_seconds)
            if pause := gather_after(self.last_read):
                await asyncio.sleep(pause)

    async def publish_new(self) -> bool:
        """Publish what follows the cursor; True when a committed event is still held back."""
        current_timezone.set(self.timezone())  # this task renders for the whole shop
        self.last_read = 0
        while True:
            async with self.db.read() as session:
                events = await events_after(session, self.position)
                names = await actor_names(session, events)
                held_back = len(events) < 500 and await events_held_back(session)
            recent_events(self.db).keep(self.position, events)  # before observers wake other readers
            for event in events:
                self._publish(event, names)
            self.last_read += len(events)
            if len(events) < 500:
                return held_back

    def _publish(self, event: Event, names: dict[int | None, str]) -> None:
        for observe in self.observers:
            observe(event)
        at = position(event)
        for topic in self.site.live.topics_for(event):
            if locales := self.listeners.locales(topic):
                html = render_locales(self.site, event, topic, names, locales)
                message = {"id": event.id, "position": at, "topic": topic, "html": html}
                self.channels.publish(json.dumps(message), topic)
        self.position, self.cursor = at, event.id

    async def _listen(self) -> None:
        import asyncpg

        dsn = make_url(self.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopped:
            connection = None
            try:
                connection = await asyncpg.connect(dsn)
                await connection.add_listener(NOTIFY_CHANNEL, self.wake)
                self.wake()  # catch up on anything committed while we were not listening
                while not connection.is_closed() and not self._stopped:
                    await asyncio.sleep(5)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(1)
            finally:
                if connection is not None and not connection.is_closed():
                    await connection.close()
