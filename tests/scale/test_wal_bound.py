"""SQLite's write-ahead log stays short under a stream of orders.

32 tasks place orders through the app's own writer process without pause while 4 others read, as
page views do. Without a checkpoint that can complete, the log never starts over while writes keep
coming: it grew by 30-40 KB an order, over 100 MB for these 3,000 orders. It must stay within a
few times the checkpointer's limit (``checkpointing.LIMIT_BYTES``, 8 MiB).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from backend.kernel.db import Database
from backend.orders.drafts import CustomerDetails, OrderDraft, WantedLine
from backend.orders.models import Order
from backend.orders.rules import Actor, Channel
from backend.orders.service import place_order
from tests.api.order_fixtures import PARIS, build_shop

ORDERS = 3_000
WRITERS, READERS = 32, 4
TIME_LIMIT_SECONDS = 120  # a machine far too slow to place them in time fails rather than hangs
BOUND_BYTES = 32 * 1024 * 1024
PLENTY = 10**9


class WalWatch:
    """The largest size the log file reaches, looked at every 10 ms by a thread of its own."""

    def __init__(self, database: Path) -> None:
        self.wal = Path(f"{database}-wal")
        self.peak = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WalWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(0.01):
            with contextlib.suppress(FileNotFoundError):
                self.peak = max(self.peak, self.wal.stat().st_size)


def _draft(n: int) -> OrderDraft:
    sku = ("APPLE", "PEAR", "PLUM")[n % 3]
    return OrderDraft(
        customer=CustomerDetails(f"Customer {n}", f"c{n}@wal.test"),
        lines=[WantedLine(sku, 1 + n % 3), WantedLine("BREAD", 1)],
        fulfilment_mode="delivery",
        payment_method="card",
        channel=Channel.STOREFRONT,
        address=PARIS,
    )


async def _stream(db: Database) -> int:
    numbers = iter(range(ORDERS))
    done = asyncio.Event()

    async def write() -> None:
        for n in numbers:
            await place_order(db, Actor(None), _draft(n))
        done.set()

    async def read() -> None:
        while not done.is_set():
            async with db.read() as session:
                await session.scalar(select(func.count()).select_from(Order))

    tasks = [write() for _ in range(WRITERS)] + [read() for _ in range(READERS)]
    await asyncio.wait_for(asyncio.gather(*tasks), TIME_LIMIT_SECONDS)
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Order)) or 0)


async def test_the_wal_stays_short_under_a_stream_of_orders(tmp_path: Path, sqlite_template: Path) -> None:
    database = tmp_path / "comptoir.db"
    shutil.copy(sqlite_template, database)
    db = Database(f"sqlite+aiosqlite:///{database}")
    try:
        await build_shop(db, {"APPLE": (PLENTY, 0), "PEAR": (PLENTY, 0), "PLUM": (PLENTY, 0)})
        started = time.monotonic()
        with WalWatch(database) as wal:
            placed = await _stream(db)
        seconds = time.monotonic() - started
    finally:
        await db.dispose()
    assert placed == ORDERS
    size = database.stat().st_size
    assert wal.peak < BOUND_BYTES, (
        f"log reached {wal.peak:,} bytes ({placed / seconds:.0f} orders/s, db {size:,})"
    )
