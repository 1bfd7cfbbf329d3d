"""Operations in the app: /health and its probe, static files, the hourly housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from litestar import Litestar

from backend.ops import maintenance, routes, static_files
from backend.ops.health import DatabaseProbe
from backend.ops.storage import StorageState
from backend.web.plugin import DomainPlugin, Site


@contextlib.asynccontextmanager
async def housekeeping(app: Litestar) -> AsyncIterator[None]:
    app.state.housekept = asyncio.Event()  # set once the first pass ended (tests wait for it)
    task = asyncio.create_task(
        maintenance.run_forever(app.state.db, app.state.housekept), name="housekeeping"
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _state(site: Site) -> Mapping[str, object]:
    storage = StorageState()  # whether writes fail for want of disk: the probe and the errors read it
    return {"storage": storage, "health": DatabaseProbe(storage)}


PLUGIN = DomainPlugin(
    name="ops",
    pages=routes.ROUTES,
    routers=[static_files.router()],
    state=_state,
    lifespan=[housekeeping],
)
