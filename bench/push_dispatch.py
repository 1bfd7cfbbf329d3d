"""Push dispatch throughput and latency, against the local push service of the tests.

The push service (``tests/push_service.py``) runs in a process of its own on 127.0.0.1: it checks
every VAPID token and decrypts every message, as a browser vendor's service and the browser would.
The dispatcher runs here, as the app runs it (woken by each commit), on a fresh database where the
owner has DEVICES subscribed phones. Orders' events are recorded as the order commands record them
(``order.placed``), so each event makes DEVICES notifications.

Two runs per engine:
- ``burst``: EVENTS events committed as fast as possible (50 to a transaction): notifications/s
  from the first commit to the last message received (target ≥ 500/s);
- ``paced``: RATE events a second for SECONDS seconds: p50/p99 from an event's commit (as its
  command returns) to the push service receiving its message, under a steady load.

Environment: BENCH_ENGINES (default "sqlite,postgresql"), COMPTOIR_BENCH_POSTGRES_URL (default
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), BENCH_SECONDS (default 5). Prints one JSON
line per run; exits non-zero when a message is missing or refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import foundation
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import backend.models  # noqa: F401 - maps every table, as the app does
from backend.auth.models import User
from backend.kernel import migrations
from backend.kernel.db import Database
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.orders.events import OrderPlaced
from backend.push import service
from backend.push.dispatcher import Dispatcher
from backend.push.service import BrowserSubscription, Owner
from backend.push.vapid import VapidKeys, generate_private_key

ROOT = Path(__file__).resolve().parents[1]
DEVICES = 10
EVENTS = 600
PER_COMMIT = 50
RATE = 40  # events a second in the paced run: 400 notifications a second
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
POSTGRES_ADMIN_URL = os.environ.get(
    "COMPTOIR_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
ENGINES = os.environ.get("BENCH_ENGINES", "sqlite,postgresql").split(",")


def log(message: str) -> None:
    print(f"push bench: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def push_service() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.push_service", "--port", str(port)], cwd=ROOT)
    origin = f"http://127.0.0.1:{port}"
    _service_pid[origin] = process.pid
    try:
        for _ in range(100):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{origin}/received", timeout=0.5)
                break
            time.sleep(0.1)
        yield origin
    finally:
        process.terminate()
        process.wait(10)


_service_pid: dict[str, int] = {}


def _owner(tx: Tx) -> int:
    owner = User(email="owner@bench.test", name="Owner", role="owner", password_hash="-")
    tx.session.add(owner)
    tx.session.flush()
    return owner.id


def _placed(tx: Tx, first: int, count: int) -> None:
    for order_id in range(first, first + count):
        record(tx, OrderPlaced(number=f"B-{order_id:06d}", channel="api"), f"order:{order_id}", None)


async def _subscribe(db: Database, origin: str, user_id: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(DEVICES):
            sub = (await client.post(f"{origin}/subscriptions")).json()
            browser = BrowserSubscription(sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"], "fr")
            await db.run(service.subscribe, Owner(user_id=user_id), browser, True)


_rows: dict[str, list[dict]] = {}


async def _received(origin: str, expected: int, within: float) -> list[dict]:
    """What the push service received so far, asked for what is new only: fetching and decoding
    the whole list five times a second cost both processes more CPU than the dispatch measured."""
    deadline = time.monotonic() + within
    rows = _rows.setdefault(origin, [])
    async with httpx.AsyncClient(timeout=30) as client:
        while True:
            rows += (await client.get(f"{origin}/received", params={"since": len(rows)})).json()
            if len(rows) >= expected or time.monotonic() > deadline:
                return rows
            await asyncio.sleep(0.2)


def _figures(
    name: str,
    engine: str,
    committed: dict[int, float],
    rows: list[dict],
    expected: int,
    *,
    cpu: dict[str, float],
) -> dict:
    mine = [row for row in rows if row["payload"].get("order_id") in committed]
    latencies = sorted((row["at"] - committed[row["payload"]["order_id"]]) * 1000 for row in mine)
    span = max(row["at"] for row in mine) - min(committed.values())
    return {
        "bench": "push_dispatch",
        "run": name,
        "engine": engine,
        "notifications": len(mine),
        "expected": expected,
        "notifications_per_s": round(len(mine) / span, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "max_ms": round(latencies[-1], 1),
        # CPU time per notification, which the machine's other work changes far less than rates:
        # this process (the dispatcher, the commits, and on PostgreSQL the driver) and the push
        # service's (VAPID check and decryption, as a browser vendor's service would do).
        "dispatcher_cpu_ms": round(cpu["here"] * 1000 / max(len(mine), 1), 3),
        "push_service_cpu_ms": round(cpu["service"] * 1000 / max(len(mine), 1), 3),
        "target_per_s": 500,
    }


def _cpu(origin: str) -> dict[str, float]:
    return {"here": time.process_time(), "service": foundation.process_cpu_seconds(_service_pid[origin])}


def _spent(origin: str, before: dict[str, float]) -> dict[str, float]:
    return {name: value - before[name] for name, value in _cpu(origin).items()}


async def _burst(db: Database, origin: str, engine: str, first: int) -> dict:
    committed: dict[int, float] = {}
    cpu = _cpu(origin)
    for start in range(first, first + EVENTS, PER_COMMIT):
        await db.run(_placed, start, PER_COMMIT)
        now = time.time()
        committed |= dict.fromkeys(range(start, start + PER_COMMIT), now)
    rows = await _received(origin, expected=len(committed) * DEVICES + _seen[origin], within=120)
    _seen[origin] = len(rows)
    return _figures("burst", engine, committed, rows, EVENTS * DEVICES, cpu=_spent(origin, cpu))


async def _paced(db: Database, origin: str, engine: str, first: int) -> dict:
    committed: dict[int, float] = {}
    cpu = _cpu(origin)
    began, order_id = time.monotonic(), first
    while time.monotonic() - began < SECONDS:
        await db.run(_placed, order_id, 1)
        committed[order_id] = time.time()
        order_id += 1
        await asyncio.sleep(max(0.0, began + (order_id - first) / RATE - time.monotonic()))
    rows = await _received(origin, expected=len(committed) * DEVICES + _seen[origin], within=60)
    _seen[origin] = len(rows)
    return _figures("paced", engine, committed, rows, len(committed) * DEVICES, cpu=_spent(origin, cpu))


_seen: dict[str, int] = {}


async def _run(url: str, engine: str) -> list[dict]:
    db = Database(url)
    keys = VapidKeys.from_raw(generate_private_key(), "mailto:push@bench.test")
    with push_service() as origin:
        _seen[origin] = 0
        try:
            user_id = await db.run(_owner)
            await _subscribe(db, origin, user_id)
            dispatcher = Dispatcher(db, keys, late_after_minutes=None)
            # As the app wakes it (push.web.dispatching): on commits that recorded events only,
            # not on the dispatcher's own (settling), which would make it read the log each time.
            db.on_commit(lambda session: dispatcher.wake() if session.info.get("events_recorded") else None)
            task = asyncio.create_task(dispatcher.run_forever())
            while not dispatcher.active:
                await asyncio.sleep(0.05)
            results = [await _burst(db, origin, engine, 1), await _paced(db, origin, engine, 100_000)]
            await dispatcher.stop()
            await task
            return results
        finally:
            await db.dispose()


async def _postgres_database() -> str | None:
    name = f"comptoir_bench_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        log(f"PostgreSQL does not answer ({exc}); skipped")
        return None
    finally:
        await engine.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def _drop(url: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        await engine.dispose()


def main() -> int:
    failed = False
    for engine in ENGINES:
        with tempfile.TemporaryDirectory() as tmp:
            if engine == "sqlite":
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            else:
                url = asyncio.run(_postgres_database())
                if url is None:
                    continue
            try:
                migrations.upgrade(url)
                log(f"{engine}: {DEVICES} devices, {EVENTS} events in a burst, then {RATE} events/s")
                for line in asyncio.run(_run(url, engine)):
                    print(json.dumps(line), flush=True)
                    failed |= line["notifications"] != line["expected"]
            finally:
                if engine != "sqlite":
                    asyncio.run(_drop(url))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
