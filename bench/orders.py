"""Order placement through the JSON API: 3-line orders from 32 concurrent clients, against a bare
Litestar JSON endpoint measured in the same run.

Creates a temporary data directory (SQLite), runs ``db upgrade``, writes one location and
BENCH_SKUS products with 1,000,000 units each (so no order is ever short), creates an owner and an
API token with the ``comptoir`` command, starts the real server and the bare app, and drives both
with wrk and ``bench/wrk/orders.lua``: every request is a different order (three consecutive SKUs,
1-3 units each, a new customer) with its own ``Idempotency-Key``. Any answer other than 201 makes
the run fail. Afterwards the orders in the database are counted against wrk's requests.

Prints one JSON line per measurement and a summary: orders/s, p50, p99, the ratio to the bare
endpoint, and the targets (≥ 1,000 orders/s on SQLite, ≥ 20 % of the bare ceiling, p99 < 100 ms).
The summary also gives the largest size SQLite's write-ahead log reached while the server ran
(sampled every 20 ms), beside the database file's size at the end: a log that is never reset grows
with every order; and the CPU per order of the server's processes and of PostgreSQL's backends.

Environment: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 32), BENCH_SKUS (default 200),
BENCH_ENGINE (``sqlite``, the default, or ``postgresql``: a database made for the run on the server
of COMPTOIR_BENCH_POSTGRES_URL, dropped afterwards), BENCH_WORKERS (server processes, default 1;
more than one on PostgreSQL only).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import foundation
import reservations
from foundation import HOST, REPORT_LUA, WARMUP_SECONDS, BenchError
from sqlalchemy import func, make_url, select

import backend.models  # noqa: F401 - maps every table, as the app does
from backend.catalog.models import Product
from backend.inventory import service
from backend.inventory.models import Location
from backend.inventory.rules import MovementKind
from backend.inventory.settling import no_reorder
from backend.kernel.db import Database
from backend.kernel.tx import Tx
from backend.orders.models import Order

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SKUS = int(os.environ.get("BENCH_SKUS", "200"))
ENGINE = os.environ.get("BENCH_ENGINE", "sqlite")
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
ORDERS_LUA = Path(__file__).resolve().parent / "wrk" / "orders.lua"
TARGET_ORDERS_PER_S = {"sqlite": 1000, "postgresql": 400}[ENGINE]
TARGET_RATIO = 0.20
TARGET_P99_MS = 100
OWNER = "bench@orders.test"
DRAIN_SECONDS = 5
WAL_SAMPLE_SECONDS = 0.02


def log(message: str) -> None:
    print(f"orders: {message}", file=sys.stderr, flush=True)


async def _stock(url: str) -> None:
    db = Database(url)
    try:
        await db.run(_stock_up)
    finally:
        await db.dispose()


def _stock_up(tx: Tx) -> None:
    """Command: one location and SKUS products with a million units each."""
    location = Location(code="BENCH", name="Bench", kind="warehouse", is_default=True)
    products = [
        Product(sku=f"BENCH-{n:04d}", name=f"Bench product {n}", price_minor=100 + n, currency="EUR",
                tax_rate_centi=550 if n % 2 else 2000)
        for n in range(SKUS)
    ]  # fmt: skip
    tx.session.add_all([location, *products])
    tx.session.flush()
    for product in products:
        change = service.Change(product.id, location.id, 1_000_000, MovementKind.RECEIPT)
        service.change_on_hand(tx, change, None)
    service.settle(tx, None, no_reorder)


async def _count_orders(url: str) -> int:
    db = Database(url)
    try:
        async with db.read() as session:
            return int(await session.scalar(select(func.count()).select_from(Order)) or 0)
    finally:
        await db.dispose()


def wrk(url: str, seconds: int, headers: list[str]) -> dict[str, Any]:
    command = ["wrk", f"-t{min(2, CONNECTIONS)}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s"]
    command += ["-s", str(ORDERS_LUA), *(arg for header in headers for arg in ("-H", header)), url]
    env = {
        **os.environ,
        "BENCH_REPORT_LUA": str(REPORT_LUA),
        "BENCH_SKUS": str(SKUS),
        "BENCH_RUN": uuid.uuid4().hex[:8],
    }
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30, env=env)
    last = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not last:
        raise BenchError(f"wrk printed no JSON for {url}:\n{done.stdout}{done.stderr}")
    return json.loads(last[-1])


def measure(name: str, url: str, headers: list[str]) -> dict[str, Any]:
    log(f"{name}: POST {url} ({SECONDS} s, {CONNECTIONS} connections)")
    wrk(url, WARMUP_SECONDS, headers)
    time.sleep(DRAIN_SECONDS)  # what the warm-up left queued in the server finishes first
    result = {"measurement": name, "url": url, "connections": CONNECTIONS, **wrk(url, SECONDS, headers)}
    print(json.dumps(result), flush=True)
    if any(result["errors"].values()) or not result["requests"]:
        raise BenchError(f"{name}: {result['requests']} requests, errors {result['errors']}")
    return result


def _processes() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, command line) of every process this user may read."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            found[int(entry.name)] = (parent, (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


class CpuWatch:
    """CPU spent over the load (warm-up included) by the server (its process and every
    descendant: the uvicorn workers, SQLite's writer) and by PostgreSQL's processes serving the
    bench database: the figure that other work on the machine changes least. Processes that exit
    meanwhile are not counted (the server's do not; PostgreSQL's pool keeps its connections)."""

    def __init__(self, server_pid: int, database: str | None) -> None:
        self.server_pid, self.database = server_pid, database

    def _sample(self) -> tuple[dict[int, float], dict[int, float]]:
        processes = _processes()
        server, frontier = {self.server_pid}, [self.server_pid]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, (ppid, _) in processes.items() if ppid == parent]
            server.update(children)
            frontier.extend(children)
        backends = set()
        if self.database:
            marker = f" {self.database} "
            backends = {
                pid for pid, (_, cmd) in processes.items() if cmd.startswith("postgres:") and marker in cmd
            }
        cpu = foundation.process_cpu_seconds
        return {pid: cpu(pid) for pid in server}, {pid: cpu(pid) for pid in backends}

    def __enter__(self) -> CpuWatch:
        self._start = self._sample()
        return self

    def __exit__(self, *_: object) -> None:
        end = self._sample()
        self.server_s, self.database_s = (
            sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
            for before, after in zip(self._start, end, strict=True)
        )


class WalWatch:
    """The largest size the database's write-ahead log reaches, sampled by a thread of its own."""

    def __init__(self, database: Path) -> None:
        self.wal = database.with_name(database.name + "-wal")
        self.peak = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-watch", daemon=True)

    def __enter__(self) -> WalWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(WAL_SAMPLE_SECONDS):
            with contextlib.suppress(FileNotFoundError):  # no log until the first write
                self.peak = max(self.peak, self.wal.stat().st_size)


def _token(env: dict[str, str]) -> str:
    foundation.run_cli(["user", "add", OWNER, "--role", "owner", "--password", "bench-password-1"], env)
    command = [sys.executable, "-m", "backend.cli", "token", "create", "--user", OWNER, "--label", "bench"]
    done = subprocess.run(command, cwd=foundation.REPO, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def benchmark(work: Path) -> dict[str, Any]:
    if ENGINE == "postgresql":
        return asyncio.run(_on_postgres(work))
    data_dir = work / "data"
    return _benchmark(work, data_dir, f"sqlite+aiosqlite:///{data_dir / 'comptoir.db'}")


async def _on_postgres(work: Path) -> dict[str, Any]:
    async with reservations.postgres_database() as url:
        return await asyncio.to_thread(_benchmark, work, work / "data", url)


def _benchmark(work: Path, data_dir: Path, url: str) -> dict[str, Any]:
    bare_port, real_port = foundation.free_port(), foundation.free_port()
    env = foundation.server_env(data_dir, real_port) | {"COMPTOIR_DATABASE_URL": url}
    log(f"{ENGINE}, {WORKERS} process(es): migrating, {SKUS} products in stock, an owner and a token")
    foundation.run_cli(["db", "upgrade"], env)
    asyncio.run(_stock(url))
    token = _token(env)

    bare_cmd = [sys.executable, str(Path(__file__).with_name("bare_app.py")), "--port", str(bare_port)]
    real_cmd = [
        sys.executable,
        "-m",
        "backend.cli",
        "serve",
        "--port",
        str(real_port),
        "--workers",
        str(WORKERS),
    ]
    bare, real = f"http://{HOST}:{bare_port}", f"http://{HOST}:{real_port}"
    servers = [foundation.start("bare", bare_cmd, env, work), foundation.start("real", real_cmd, env, work)]
    database = data_dir / "comptoir.db"  # SQLite's file, watched for the log's size
    try:
        foundation.wait_healthy(bare, servers[0], work / "bare.log")
        foundation.wait_healthy(real, servers[1], work / "real.log")
        bare_orders = measure("bare_orders", f"{bare}/orders", [])
        before = asyncio.run(_count_orders(url))
        pg_database = make_url(url).database if ENGINE == "postgresql" else None
        with WalWatch(database) as wal, CpuWatch(servers[1].pid, pg_database) as cpu:
            real_orders = measure("api_orders", f"{real}/api/v1/orders", [f"Authorization: Bearer {token}"])
        database_bytes = database.stat().st_size if database.exists() else None
    finally:
        for server in servers:
            foundation.stop(server)
    placed = asyncio.run(_count_orders(url)) - before
    if placed < real_orders["requests"]:
        raise BenchError(f"wrk counted {real_orders['requests']} orders, the database holds {placed}")
    rate, p99 = real_orders["requests_per_s"], real_orders["p99_ms"]
    ratio = rate / bare_orders["requests_per_s"]
    return {
        "summary": "orders",
        "engine": ENGINE,
        "workers": WORKERS,
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        "orders_per_s": rate,
        "p50_ms": real_orders["p50_ms"],
        "p99_ms": p99,
        "bare_requests_per_s": bare_orders["requests_per_s"],
        "ratio": round(ratio, 4),
        "orders_in_database": placed,
        # Over the warm-up, the pause after it and the measured load: every order of those.
        "server_cpu_ms_per_order": round(1000 * cpu.server_s / placed, 3),
        "database_cpu_ms_per_order": round(1000 * cpu.database_s / placed, 3) if pg_database else None,
        "wal_peak_bytes": wal.peak,
        "database_bytes": database_bytes,
        "targets": {
            "orders_per_s_min": TARGET_ORDERS_PER_S,
            "ratio_min": TARGET_RATIO,
            "p99_max_ms": TARGET_P99_MS,
        },
        "targets_met": rate >= TARGET_ORDERS_PER_S and ratio >= TARGET_RATIO and p99 < TARGET_P99_MS,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    def measured(work: Path) -> None:
        print(json.dumps(benchmark(work)), flush=True)

    return foundation.run_bounded(measured, 2 * (SECONDS + WARMUP_SECONDS + 40) + 240, "orders")


if __name__ == "__main__":
    sys.exit(main())
