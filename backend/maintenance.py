"""Housekeeping that keeps tables small: expired sessions, throttles and idempotency keys."""

from __future__ import annotations

import asyncio
import logging

from backend.auth.service import purge_expired_sessions
from backend.db import Database
from backend.idempotency.service import purge_expired

log = logging.getLogger("comptoir.maintenance")
EVERY_SECONDS = 3600


async def purge_once(db: Database) -> dict[str, int]:
    return {"sessions": await purge_expired_sessions(db), "idempotency_keys": await purge_expired(db)}


async def run_forever(db: Database) -> None:
    while True:
        try:
            removed = await purge_once(db)
            log.info("housekeeping removed %s", removed)
        except Exception:
            log.exception("housekeeping failed; will retry")
        await asyncio.sleep(EVERY_SECONDS)
