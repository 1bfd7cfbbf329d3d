"""A push dispatcher in a process of its own, for the tests that kill one or run two.

``python -m tests.push_dispatcher_process DATABASE_URL VAPID_PRIVATE_KEY LEASE_SECONDS`` dispatches
until killed, sending only to this machine, and prints ``active`` or ``passive`` each time it takes
or loses the lease.
"""

from __future__ import annotations

import asyncio
import sys

from backend.kernel.db import Database
from backend.push.dispatcher import Dispatcher
from backend.push.sender import Sender
from backend.push.vapid import VapidKeys

SUBJECT = "mailto:push@shop.test"


async def main(url: str, private_key: str, lease_seconds: float) -> None:
    db = Database(url)
    await asyncio.to_thread(db.start_writer)
    keys = VapidKeys.from_raw(private_key, SUBJECT)
    dispatcher = Dispatcher(
        db,
        keys,
        lease_seconds=lease_seconds,
        poll_seconds=0.05,
        max_in_flight=8,
        late_after_minutes=None,
        sender=Sender(keys, loopback_only=True),
    )
    task = asyncio.create_task(dispatcher.run_forever())
    told: bool | None = None
    while not task.done():
        if dispatcher.active != told:
            told = dispatcher.active
            print("active" if told else "passive", flush=True)
        await asyncio.sleep(0.02)
    await task


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
