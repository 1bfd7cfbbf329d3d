"""The dispatcher in the app: each process runs one while the app runs (one is active across
processes, by the lease), and wakes it as soon as events are committed.

Two wake-ups: a commit of this process that recorded events (``db.on_commit``, at once), and each
event the process's tailer reads (``on_event``: the tailer learns of other processes' commits
through PostgreSQL's NOTIFY, or by polling a shared SQLite file). Between them, the dispatcher looks
at the log every ``COMPTOIR_PUSH_POLL_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar

from backend.kernel.db import Database
from backend.kernel.events import Event
from backend.kernel.settings import Settings
from backend.push.dispatcher import Dispatcher
from backend.push.sender import Sender
from backend.push.vapid import VapidKeys, load_keys


class PushRuntime:
    """The process's VAPID keys and dispatcher (``push`` on the app's state), set at start."""

    def __init__(self) -> None:
        self.keys: VapidKeys | None = None
        self.dispatcher: Dispatcher | None = None
        self.loopback_only = False

    def on_event(self, _: Event) -> None:
        """Told by the tailer of each new event, whichever process committed it."""
        if self.dispatcher is not None:
            self.dispatcher.wake()

    def on_commit(self, session: Any) -> None:
        """Told of each commit of this process (the realtime plugin registers it with the database)."""
        if self.dispatcher is not None and session.info.get("events_recorded"):
            self.dispatcher.wake()

    def start(self, db: Database, settings: Settings) -> Dispatcher:
        self.keys = load_keys(settings)
        self.loopback_only = settings.push_loopback_only
        sender = Sender(self.keys, loopback_only=settings.push_loopback_only)
        self.dispatcher = Dispatcher(
            db,
            self.keys,
            poll_seconds=settings.push_poll_seconds,
            late_after_minutes=settings.order_wait_alert_minutes,
            sender=sender,
        )
        return self.dispatcher


@contextlib.asynccontextmanager
async def dispatching(app: Litestar) -> AsyncIterator[None]:
    runtime: PushRuntime = app.state.push
    dispatcher = runtime.start(app.state.db, app.state.settings)
    task = asyncio.create_task(dispatcher.run_forever(), name="push-dispatcher")
    try:
        yield
    finally:
        await dispatcher.stop()  # settles what was answered and hands the lease over at once
        with contextlib.suppress(asyncio.CancelledError):
            await task
        runtime.dispatcher = None
