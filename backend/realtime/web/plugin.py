"""Live updates in the app: ``/ws``, and the process's tailer, which tells the app's per-process
objects (its plugins' caches) of each new event and commit before publishing the event."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.channels import ChannelsPlugin

from backend.realtime.routes import live_updates
from backend.realtime.tailer import Tailer
from backend.realtime.web import dependencies
from backend.web.plugin import DomainPlugin, Site


@contextlib.asynccontextmanager
async def tailing(app: Litestar) -> AsyncIterator[None]:
    site: Site = app.state.site
    db = app.state.db
    for part in site.state.values():
        if load := getattr(part, "load", None):  # e.g. the shop's profile, before anything renders
            await load(db)
    # Renders for the whole shop, in its time zone (the shop plugin's ``shop``).
    timezone = (lambda: app.state.shop.current.timezone) if "shop" in site.state else (lambda: "UTC")
    channels = app.plugins.get(ChannelsPlugin)
    tailer = Tailer(db, channels, app.state.settings.tailer_poll_seconds, site, timezone)
    for part in site.state.values():
        if on_event := getattr(part, "on_event", None):
            tailer.observers.append(on_event)
        if on_commit := getattr(part, "on_commit", None):
            db.on_commit(on_commit)
    db.on_commit(lambda session: tailer.wake() if session.info.get("events_recorded") else None)
    await tailer.start()
    app.state.tailer = tailer
    try:
        yield
    finally:
        await tailer.stop()


PLUGIN = DomainPlugin(
    dependencies=dependencies.DEPENDENCIES, name="realtime", pages=[live_updates], lifespan=[tailing]
)
