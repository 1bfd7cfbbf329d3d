"""Reservation throughput: concurrent reserve-then-release pairs through the inventory commands.

Each of TASKS asyncio tasks loops: reserve 1-3 random products (``reserve_stock``, as orders do),
then release them (``release_stock``). Nothing goes over HTTP: this measures the stock core and the
database, which every order and basket change goes through. On SQLite both go through the writer
thread, which commits queued requests together (up to a batch per transaction).

Runs on SQLite (a temporary file) and on PostgreSQL (a temporary database created through
COMPTOIR_BENCH_POSTGRES_URL, an admin URL, and dropped afterwards; skipped with a note when the
server does not answer). Prints one JSON line per engine on stdout; progress goes to stderr. Exits
non-zero when a measurement cannot be trusted (errors under load), not when the target is missed.

On PostgreSQL the tasks can be shared by several processes (BENCH_PROCESSES), as several app
processes would share the database: each runs its share of the tasks over the same measured window.

Environment: BENCH_SECONDS (default 10), COMPTOIR_BENCH_POSTGRES_URL
(default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), BENCH_PROCESSES (PostgreSQL
only, default 1), BENCH_ENGINES (default "sqlite,postgresql").
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import multiprocessing
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import backend.models  # noqa: F401 - maps every table, as the app does
from backend.catalog.models import Product
from backend.inventory import service
from backend.inventory.commands import release_stock, reserve_stock
from backend.inventory.models import Location
from backend.inventory.rules import Line, MovementKind
from backend.inventory.settling import no_reorder
from backend.kernel import migrations
from backend.kernel.db import Database
from backend.kernel.tx import Tx

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
POSTGRES_ADMIN_URL = os.environ.get(
    "COMPTOIR_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
TASKS = 32
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "1"))
ENGINES = os.environ.get("BENCH_ENGINES", "sqlite,postgresql").split(",")
PRODUCTS = 200
STOCK = 1_000_000  # per product: every reservation is released, so it never runs out
# Fills SQLAlchemy's statement cache and the engines' pools before we measure.
WARMUP_SECONDS = min(2.0, SECONDS / 5)
TARGET_RESERVATIONS_PER_S = {"sqlite": 3000}


def log(message: str) -> None:
    print(f"reservations: {message}", file=sys.stderr, flush=True)


@dataclass
class Load:
    """What the tasks share: where to reserve, until when, and what they counted."""

    db: Database
    location_id: int
    product_ids: list[int]
    until: float
    reservations: int = 0
    pairs: int = 0
    reserve_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""


async def set_up(db: Database) -> tuple[int, list[int]]:
    return await db.run(stock_up)


def stock_up(tx: Tx) -> tuple[int, list[int]]:
    """Command: one location and PRODUCTS products with STOCK units each."""
    location = Location(code="bench", name="Bench", kind="warehouse", is_default=True)
    products = [
        Product(sku=f"bench-{n:03d}", name=f"Bench product {n}", price_minor=100, currency="EUR")
        for n in range(PRODUCTS)
    ]
    tx.session.add_all([location, *products])
    tx.session.flush()
    for product in products:
        service.change_on_hand(tx, service.Change(product.id, location.id, STOCK, MovementKind.RECEIPT), None)
    service.settle(tx, None, no_reorder)
    return location.id, [product.id for product in products]


async def worker(load: Load, number: int) -> None:
    rng = random.Random(number)  # seeded per task: runs draw the same baskets
    for n in itertools.count():
        if time.perf_counter() >= load.until:
            return
        reference = f"bench:{number}:{n}"
        lines = [Line(pid, rng.randint(1, 3)) for pid in rng.sample(load.product_ids, rng.randint(1, 3))]
        try:
            started = time.perf_counter()
            await reserve_stock(load.db, reference, lines, load.location_id, on_low=no_reorder)
            reserved = time.perf_counter()
            load.reservations += 1
            load.reserve_ms.append((reserved - started) * 1000)
            await release_stock(load.db, reference, on_low=no_reorder)
        except Exception as exc:  # counted and reported: the run is then not to be trusted
            load.errors += 1
            load.first_error = load.first_error or f"{type(exc).__name__}: {exc}"[:300]
            continue
        load.pairs += 1


async def run_load(
    db: Database, location_id: int, product_ids: list[int], seconds: float, tasks: range = range(TASKS)
) -> Load:
    load = Load(db, location_id, product_ids, until=time.perf_counter() + seconds)
    await asyncio.gather(*(worker(load, n) for n in tasks))
    return load


async def load_in_this_process(url: str, where: tuple[int, list[int]], tasks: range, start: Any) -> Load:
    """Once every process is ready (``start``, a barrier), warm up, then measure SECONDS."""
    db = Database(url)
    try:
        await asyncio.to_thread(start.wait)
        await run_load(db, *where, WARMUP_SECONDS, tasks)
        load = await run_load(db, *where, SECONDS, tasks)
    finally:
        await db.dispose()
    load.db = None  # type: ignore[assignment]  # what crosses back to the parent: the figures
    return load


def _child(url: str, where: tuple[int, list[int]], tasks: range, start: Any, results: Any) -> None:
    results.put(asyncio.run(load_in_this_process(url, where, tasks, start)))


async def run_processes(url: str, where: tuple[int, list[int]], processes: int) -> tuple[Load, float]:
    """Split the tasks over ``processes`` fresh interpreters; their counts add up."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes + 1), context.Queue()
    children = [
        context.Process(target=_child, args=(url, where, range(n, TASKS, processes), start, results))
        for n in range(processes)
    ]
    for child in children:
        child.start()
    try:
        await asyncio.to_thread(start.wait, 120)  # interpreters take seconds to import the app
        started = time.perf_counter() + WARMUP_SECONDS
        loads = [await asyncio.to_thread(results.get, True, SECONDS + 120) for _ in children]
        elapsed = time.perf_counter() - started  # a little over SECONDS: the last pairs finish
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
    total = Load(None, *where, until=0)  # type: ignore[arg-type]
    for load in loads:
        total.reservations += load.reservations
        total.pairs += load.pairs
        total.reserve_ms += load.reserve_ms
        total.errors += load.errors
        total.first_error = total.first_error or load.first_error
    return total, elapsed


async def measure(engine: str, url: str, processes: int = 1) -> dict[str, Any]:
    db = Database(url)
    try:
        where = await set_up(db)
        log(f"{engine}: warming up {WARMUP_SECONDS:g} s, then {TASKS} tasks for {SECONDS:g} s")
        if processes > 1:
            await db.dispose()
            load, elapsed = await run_processes(url, where, processes)
        else:
            await run_load(db, *where, WARMUP_SECONDS)
            started = time.perf_counter()
            load = await run_load(db, *where, SECONDS)
            elapsed = time.perf_counter() - started  # a little over SECONDS: the last pairs finish
    finally:
        await db.dispose()
    latencies = sorted(load.reserve_ms) or [0.0]
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
    result: dict[str, Any] = {
        "benchmark": "reservations",
        "engine": engine,
        "seconds": round(elapsed, 2),
        "tasks": TASKS,
        "processes": processes,
        "products": PRODUCTS,
        "pairs_per_s": round(load.pairs / elapsed, 1),
        "reservations_per_s": round(load.reservations / elapsed, 1),
        "reserve_p50_ms": round(statistics.median(latencies), 2),
        "reserve_p99_ms": round(p99, 2),
        "errors": load.errors,
    }
    if engine in TARGET_RESERVATIONS_PER_S:
        target = TARGET_RESERVATIONS_PER_S[engine]
        result |= {"target_reservations_per_s": target, "target_met": result["reservations_per_s"] >= target}
    if load.errors:
        log(f"{engine}: {load.errors} errors, the first: {load.first_error}")
    return result


async def bench_sqlite(work: Path) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
    await migrations.upgrade_async(url)
    return await measure("sqlite", url)


async def _admin(statement: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    name = f"comptoir_bench_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def bench_postgres() -> dict[str, Any]:
    try:
        await asyncio.wait_for(_admin("SELECT 1"), 10)
    except Exception as exc:  # refused, unknown host, bad password, timeout: the note says which
        reason = f"PostgreSQL unreachable at {make_url(POSTGRES_ADMIN_URL)!r}: {type(exc).__name__}: {exc}"
        log(f"skipped: {reason}")
        return {"benchmark": "reservations", "engine": "postgresql", "skipped": reason}
    async with postgres_database() as url:
        await migrations.upgrade_async(url)
        return await measure("postgresql", url, PROCESSES)


async def main() -> int:
    # On SIGTERM, cancelling unwinds through the finally blocks: the PostgreSQL database is dropped.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    # Bounds each engine's run even if a transaction hangs; the database is removed all the same.
    limit = 2 * (WARMUP_SECONDS + SECONDS) + 120
    status = 0
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as work:
        for engine, run in (("sqlite", lambda: bench_sqlite(Path(work))), ("postgresql", bench_postgres)):
            if engine not in ENGINES:
                continue
            try:
                result = await asyncio.wait_for(run(), limit)
            except TimeoutError:
                log(f"{engine}: FAILED: no result within {limit:g} s")
                status = 1
                continue
            result["load_average_1m"] = round(os.getloadavg()[0], 2)  # the machine is shared: context
            print(json.dumps(result), flush=True)
            status |= 1 if result.get("errors") else 0
    return status


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except asyncio.CancelledError:
        log("stopped")
        sys.exit(1)
