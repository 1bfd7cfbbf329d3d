"""Picking through the real server: a 20-order batch started from the pick page, then its lines
confirmed one unit at a time through the JSON API by 8 concurrent pickers.

Creates a temporary data directory (SQLite), runs ``db upgrade``, writes one location and
products with plenty of stock (as ``bench/orders.py`` does), creates an owner, an API token and a
signed-in session, and starts ``comptoir serve``. Each round places and accepts BENCH_BATCH orders
(3 lines of 2 units) through the API, starts them as one batch through ``POST /fulfilment/batches``
(the page's form), then 8 asyncio pickers (aiohttp: one connection each, so the generator is never
the bottleneck at 8 requests in flight) share the batch's units and confirm each with
``POST /api/v1/orders/{id}/picked`` ``{"sku", "quantity": 1}``. Every answer must be 200 (303 for
the batch), and afterwards every line must be picked in full.

The time reported per confirmation is from sending the request to reading the whole answer on
127.0.0.1: the server's time plus the loopback, an upper bound of the server's own.

Prints one JSON line: confirmations, their rate, p50/p99/max ms, the batch starts' times, and the
target (p99 < 50 ms). Environment: BENCH_ROUNDS (default 5), BENCH_BATCH (default 20),
BENCH_PICKERS (default 8).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import foundation
import orders as order_bench
from foundation import HOST, BenchError
from sqlalchemy import func, select
from yarl import URL

import backend.models  # noqa: F401 - maps every table, as the app does
from backend.catalog.models import Product
from backend.fulfilment.models import PickedLine
from backend.inventory import service
from backend.inventory.models import Location
from backend.inventory.rules import MovementKind
from backend.inventory.settling import no_reorder
from backend.kernel.db import Database
from backend.kernel.tx import Tx

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
BATCH = int(os.environ.get("BENCH_BATCH", "20"))
PICKERS = int(os.environ.get("BENCH_PICKERS", "8"))
LINES, UNITS = 3, 2
TARGET_P99_MS = 50
PASSWORD = "bench-password-1"


def log(message: str) -> None:
    print(f"fulfil_picks: {message}", file=sys.stderr, flush=True)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


async def _sign_in(session: aiohttp.ClientSession, base: str) -> str:
    """Signs the session in through the form; returns the CSRF token its forms carry."""
    async with session.get(f"{base}/login") as page:
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', await page.text())
    if csrf is None:
        raise BenchError("no CSRF field on /login")
    form = {"email": order_bench.OWNER, "password": PASSWORD, "_csrf_token": csrf[1], "next": "/"}
    async with session.post(f"{base}/login", data=form, allow_redirects=False) as answer:
        if answer.status != 303:
            raise BenchError(f"sign-in answered {answer.status}")
    return session.cookie_jar.filter_cookies(URL(base))["csrftoken"].value


async def _accepted_orders(
    api: aiohttp.ClientSession, base: str, round_no: int
) -> list[tuple[int, int, int]]:
    """BATCH orders placed and accepted: (id, version, location id)."""
    found = []
    for n in range(BATCH):
        first = (round_no * BATCH + n) * LINES % (order_bench.SKUS - LINES)
        body = {
            "customer": {"name": f"Picker bench {round_no}-{n}", "email": f"pick{round_no}-{n}@bench.test"},
            "lines": [{"sku": f"BENCH-{first + k:04d}", "quantity": UNITS} for k in range(LINES)],
            "fulfilment_mode": "shipping",
            "address": {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"},
            "payment_method": "card",
            "channel": "staff",  # typed by staff: never held for risk
        }
        async with api.post(f"{base}/api/v1/orders", json=body) as placed:
            if placed.status != 201:
                raise BenchError(f"placing answered {placed.status}: {await placed.text()}")
            order_id = (await placed.json())["id"]
        async with api.post(f"{base}/api/v1/orders/{order_id}/accept", json={}) as accepted:
            order = await accepted.json()
        found.append((order_id, order["version"], 0))
    return found


async def _start_batch(
    page: aiohttp.ClientSession, base: str, csrf: str, location_id: int, chosen: list[tuple[int, int, int]]
) -> tuple[float, int]:
    form = [("_csrf_token", csrf), ("location", str(location_id))]
    form += [("order", f"{order_id}:{version}") for order_id, version, _ in chosen]
    started = time.perf_counter()
    async with page.post(f"{base}/fulfilment/batches", data=form, allow_redirects=False) as answer:
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 303:
            raise BenchError(f"starting the batch answered {answer.status}: {(await answer.text())[-500:]}")
        return elapsed, int(answer.headers["location"].rsplit("/", 1)[1])


async def _picker(base: str, token: str, units: asyncio.Queue[tuple[int, str]], times: list[float]) -> None:
    connector = aiohttp.TCPConnector(limit=1)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        while not units.empty():
            order_id, sku = units.get_nowait()
            started = time.perf_counter()
            async with session.post(
                f"{base}/api/v1/orders/{order_id}/picked", json={"sku": sku, "quantity": 1}
            ) as answer:
                await answer.read()
                times.append((time.perf_counter() - started) * 1000)
                if answer.status != 200:
                    raise BenchError(f"a confirmation answered {answer.status}: {await answer.text()}")


async def _round(
    base: str, token: str, signed_in: tuple[aiohttp.ClientSession, str, str], round_no: int
) -> dict[str, Any]:
    pages, csrf, url = signed_in
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as api:
        chosen = await _accepted_orders(api, base, round_no)
        async with api.get(f"{base}/api/v1/orders/{chosen[0][0]}") as detail:
            location_code = (await detail.json())["location"]
    location_id = await _location_id(url, location_code)
    start_ms, _batch = await _start_batch(pages, base, csrf, location_id, chosen)
    units: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for n, (order_id, _version, _) in enumerate(chosen):
        start_sku = (round_no * BATCH + n) * LINES % (order_bench.SKUS - LINES)
        for k in range(LINES):
            for _unit in range(UNITS):
                units.put_nowait((order_id, f"BENCH-{start_sku + k:04d}"))
    times: list[float] = []
    began = time.perf_counter()
    await asyncio.gather(*(_picker(base, token, units, times) for _ in range(PICKERS)))
    return {"start_ms": start_ms, "times": times, "seconds": time.perf_counter() - began}


def _stock_up(tx: Tx) -> None:
    """Command: one location and SKUS products with a million units each."""
    location = Location(code="BENCH", name="Bench", kind="warehouse", is_default=True)
    products = [
        Product(sku=f"BENCH-{n:04d}", name=f"Bench product {n}", price_minor=100 + n, currency="EUR")
        for n in range(order_bench.SKUS)
    ]
    tx.session.add_all([location, *products])
    tx.session.flush()
    for product in products:
        service.change_on_hand(
            tx, service.Change(product.id, location.id, 1_000_000, MovementKind.RECEIPT), None
        )
    service.settle(tx, None, no_reorder)


async def _stock(url: str) -> None:
    db = Database(url)
    try:
        await db.run(_stock_up)
    finally:
        await db.dispose()


async def _location_id(url: str, code: str) -> int:
    db = Database(url)
    try:
        async with db.read() as session:
            return int(await session.scalar(select(Location.id).where(Location.code == code)))
    finally:
        await db.dispose()


async def _picked_units(url: str) -> int:
    db = Database(url)
    try:
        async with db.read() as session:
            return int(await session.scalar(select(func.sum(PickedLine.picked_quantity))) or 0)
    finally:
        await db.dispose()


async def _drive(base: str, token: str, url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as pages:  # cookies of 127.0.0.1
        signed_in = (pages, await _sign_in(pages, base), url)
        await _round(base, token, signed_in, ROUNDS)  # warm-up, not counted
        rounds = [await _round(base, token, signed_in, n) for n in range(ROUNDS)]
    times = [ms for done in rounds for ms in done["times"]]
    return {
        "confirmations": len(times),
        "confirmations_per_s": round(len(times) / sum(done["seconds"] for done in rounds), 1),
        "p50_ms": _percentile(times, 0.50),
        "p99_ms": _percentile(times, 0.99),
        "max_ms": round(max(times), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "batch_start_ms": [round(done["start_ms"], 1) for done in rounds],
    }


def benchmark(work: Path) -> dict[str, Any]:
    data_dir = work / "data"
    url = f"sqlite+aiosqlite:///{data_dir / 'comptoir.db'}"
    port = foundation.free_port()
    env = foundation.server_env(data_dir, port) | {"COMPTOIR_url": url}
    log(f"migrating, products in stock, an owner with a token; {ROUNDS} rounds of {BATCH} orders")
    foundation.run_cli(["db", "upgrade"], env)
    asyncio.run(_stock(url))
    foundation.run_cli(["user", "add", order_bench.OWNER, "--role", "owner", "--password", PASSWORD], env)
    command = [
        sys.executable,
        "-m",
        "backend.cli",
        "token",
        "create",
        "--user",
        order_bench.OWNER,
        "--label",
        "bench",
    ]
    token = subprocess.run(
        command, cwd=foundation.REPO, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    base = f"http://{HOST}:{port}"
    server = foundation.start(
        "real", [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env, work
    )
    try:
        foundation.wait_healthy(base, server, work / "real.log", timeout=180)  # a busy machine starts slowly
        figures = asyncio.run(_drive(base, token, url))
    finally:
        foundation.stop(server)
    expected = (ROUNDS + 1) * BATCH * LINES * UNITS
    picked = asyncio.run(_picked_units(url))
    if picked != expected:
        raise BenchError(f"{expected} units confirmed, {picked} picked in the database")
    return {
        "summary": "fulfil_picks",
        "engine": "sqlite",
        "pickers": PICKERS,
        "batch_orders": BATCH,
        "rounds": ROUNDS,
        **figures,
        "target_p99_max_ms": TARGET_P99_MS,
        "target_met": figures["p99_ms"] < TARGET_P99_MS,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    def measured(work: Path) -> None:
        print(json.dumps(benchmark(work)), flush=True)

    return foundation.run_bounded(measured, 600, "fulfil_picks")


if __name__ == "__main__":
    sys.exit(main())
