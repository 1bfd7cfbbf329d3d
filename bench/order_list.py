"""Order list benchmark: the team's list with 1,000,000 orders in the database.

Loads the demo (without its orders), then writes `BENCH_ORDERS` orders (default 1,000,000) straight
into SQLite with a spread of statuses, channels and dates over two years, starts the real server,
signs in as the demo owner and measures with wrk (1 connection, `BENCH_SECONDS` each): the first
page, a page deep in the list (through its keyset cursor), a status filter, a date filter and a
search by order number. Prints one JSON line per page and a summary against the target (p99 < 30 ms).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import catalog
import foundation
import httpx
from foundation import HOST, BenchError

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ORDERS = int(os.environ.get("BENCH_ORDERS", "1000000"))
TARGET_P99_MS = 30.0
STATUSES = ["delivered"] * 6 + ["picked_up"] * 2 + ["cancelled", "rejected", "accepted", "placed", "on_hold"]
CHANNELS = ["storefront", "storefront", "staff", "api", "marketplace"]


def log(message: str) -> None:
    print(f"order_list: {message}", file=sys.stderr, flush=True)


def _rows(count: int, location_id: int, customer_id: int) -> Any:
    rng = random.Random(7)
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=730)
    step = timedelta(days=730) / count
    for n in range(1, count + 1):
        placed = (start + step * n).isoformat(sep=" ")
        total = rng.randint(300, 20_000)
        yield (
            f"BEN-{n:07d}", rng.choice(STATUSES), rng.choice(CHANNELS), "delivery", "normal", "cash",
            location_id, customer_id, f"Shopper {n % 5000}", f"shopper{n % 5000}@bench.test", None,
            "", total - total // 6, total // 6, total, "EUR", f"{n:064x}", "[]", 1, placed, placed,
        )  # fmt: skip


def load_orders(database: Path, count: int) -> str:
    """Write ``count`` orders; return the number of one in the middle of the list."""
    with sqlite3.connect(database) as db:
        location_id = db.execute("SELECT id FROM locations ORDER BY id LIMIT 1").fetchone()[0]
        db.execute(
            "INSERT INTO customers (name, email, created_at, version)"
            " VALUES ('Bench', 'b@bench.test', '2026-01-01', 1)"
        )
        customer_id = db.execute("SELECT max(id) FROM customers").fetchone()[0]
        db.executemany(
            "INSERT INTO orders (number, status, channel, fulfilment_mode, priority, payment_method,"
            " location_id, customer_id, customer_name, email, phone, notes, net_minor, tax_minor,"
            " total_minor, currency, tracking_token_hash, risk_reasons, version, placed_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _rows(count, location_id, customer_id),
        )
        db.execute("ANALYZE")
    return f"BEN-{count // 2:07d}"


def pages(middle: str, cursor: str) -> list[tuple[str, str, str]]:
    """(name, path, what the answer must contain): a fast wrong page proves nothing."""
    day = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
    return [
        ("orders_first", "/orders/all", "data-order="),
        ("orders_deep", f"/orders/all?cursor={cursor}", "data-order="),
        ("orders_status", "/orders/all?status=on_hold", "data-order="),
        ("orders_day", f"/orders/all?placed_from={day}&placed_to={day}", "data-order="),
        ("orders_number", f"/orders/all?q={middle}", f'data-order="{middle}"'),
    ]


def measure(base: str, cookie: str, name: str, path: str, expected: str) -> dict[str, Any]:
    answer = httpx.get(base + path, headers={"Cookie": cookie}, timeout=30, trust_env=False)
    if answer.status_code != 200 or expected not in answer.text:
        raise BenchError(f"{name}: {path} answered {answer.status_code} without {expected!r}")
    log(f"{name}: {path} ({SECONDS} s, 1 connection)")
    catalog.wait_idle(base)
    catalog.wrk(base + path, 1, 2, [f"Cookie: {cookie}"])
    result = {
        "measurement": name,
        "url": path,
        "connections": 1,
        **catalog.wrk(base + path, 1, SECONDS, [f"Cookie: {cookie}"]),
    }
    print(json.dumps(result), flush=True)
    if any(result["errors"].values()):
        raise BenchError(f"{name}: errors {result['errors']}")
    return result


def benchmark(work: Path) -> None:
    port = foundation.free_port()
    env = foundation.server_env(work / "data", port)
    foundation.run_cli(["db", "upgrade"], env)
    foundation.run_cli(["demo", "--orders", "0"], env)
    log(f"writing {ORDERS:,} orders")
    middle = load_orders(work / "data" / "comptoir.db", ORDERS)
    base = f"http://{HOST}:{port}"
    server = foundation.start(
        "real", [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env, work
    )
    try:
        foundation.wait_healthy(base, server, work / "real.log", timeout=60)
        cookie = foundation.sign_in(base)
        results = [measure(base, cookie, *page) for page in pages(middle, str(ORDERS // 2))]
    finally:
        foundation.stop(server)
    worst = max(result["p99_ms"] for result in results)
    summary = {
        "summary": "order_list",
        "orders": ORDERS,
        "worst_p99_ms": worst,
        "target_p99_max_ms": TARGET_P99_MS,
        "target_met": worst < TARGET_P99_MS,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(summary), flush=True)


def main() -> int:
    return foundation.run_bounded(benchmark, 20 * SECONDS + 900, "order_list")


if __name__ == "__main__":
    sys.exit(main())
