"""Housekeeping that keeps tables small: expired sessions, throttles and idempotency keys."""

from __future__ import annotations

import asyncio
import logging

from backend.auth.service import purge_expired_sessions
from backend.idempotency.service import purge_expired
from backend.kernel.db import Database
from backend.ops.storage import log_failure

log = logging.getLogger("comptoir.maintenance")
EVERY_SECONDS = 3600


async def purge_once(db: Database) -> dict[str, int]:
    return {"sessions": await purge_expired_sessions(db), "idempotency_keys": await purge_expired(db)}


async def run_forever(db: Database, first_pass: asyncio.Event) -> None:
    """Purge now, then every hour. `first_pass` is set once the first try has ended, whatever its
    outcome, so that whoever needs the tables quiet (tests, tools) can wait for it."""
    while True:
        try:
            removed = await purge_once(db)
            log.info("housekeeping removed %s", removed)
        except Exception as exc:
            log_failure(log, "housekeeping failed; will retry", exc)
        first_pass.set()
        await asyncio.sleep(EVERY_SECONDS)
