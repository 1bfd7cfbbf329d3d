"""Storefront benchmark: whole orders placed the way a phone places them.

Each client runs the flow over and over on its own keep-alive connection: open the shop, add
three products to the cart, open the checkout, place the order, land on the tracking page. A
flow counts only when every step answered as a browser expects (the checkout's 303 to
/t/…, the tracking page's 200). Prints completed orders/s and p50/p99 of one whole flow, and the
CPU per order of the server's processes and of the phones over the measured seconds.

The load comes from separate processes (one per client) talking raw HTTP/1.1, so the Python
clients stay far from the server's own CPU use per flow: each flow is seven requests.

Environment: BENCH_SECONDS (default 10) and BENCH_CLIENTS (default 8).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import foundation
import httpx
from foundation import HOST, BenchError

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WARMUP_SECONDS = 2
STOCK_TOP_UP = 1_000_000  # so that no flow fails for lack of stock
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="_idempotency_key" value="([^"]+)"')
PRODUCT = re.compile(r'name="product_id" value="(\d+)"')
ADDRESS = {"line1": "3 rue des Lilas", "postal_code": "75011", "city": "Paris", "country": "FR"}


def log(message: str) -> None:
    print(f"storefront: {message}", file=sys.stderr, flush=True)


class Browser:
    """One phone: a keep-alive connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=10)
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        answer = self.connection.getresponse()
        text = answer.read().decode()
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return answer.status, answer.getheader("location") or "", text


def flow(browser: Browser, rng: random.Random, n: int) -> None:
    status, _, shop = browser.send("GET", "/shop")
    products = PRODUCT.findall(shop)
    if status != 200 or len(products) < 3:
        raise BenchError(f"/shop answered {status} with {len(products)} products to add")
    token = CSRF.search(shop)[1]
    for product in rng.sample(products, 3):
        status, _, _ = browser.send("POST", "/shop/cart", {"product_id": product, "_csrf_token": token})
        if status != 303:
            raise BenchError(f"adding to the cart answered {status}")
    status, _, checkout = browser.send("GET", "/shop/checkout")
    if status != 200:
        raise BenchError(f"/shop/checkout answered {status}")
    form = {
        "_csrf_token": CSRF.search(checkout)[1],
        "_idempotency_key": KEY.search(checkout)[1],
        "name": f"Bench Shopper {n}",
        "email": f"shopper{n}@bench.test",
        "mode": "delivery",
        "payment": "cash_on_delivery",
        **ADDRESS,
    }
    status, location, text = browser.send("POST", "/shop/checkout", form)
    if status != 303 or not location.startswith("/t/"):
        raise BenchError(f"placing the order answered {status}: {text[:300]}")
    status, _, _ = browser.send("GET", location)
    if status != 200:
        raise BenchError(f"the tracking page answered {status}")


def client(port: int, index: int, start_at: float, stop_at: float, out: Any) -> None:
    rng = random.Random(index)
    browser = Browser(port)
    durations: list[float] = []
    n = index * 1_000_000
    cpu_at_start: float | None = None
    try:
        while (now := time.monotonic()) < stop_at:
            n += 1
            if now >= start_at and cpu_at_start is None:
                cpu_at_start = time.process_time()
            flow(browser, rng, n)
            if now >= start_at:
                durations.append(time.monotonic() - now)
        cpu = 0.0 if cpu_at_start is None else time.process_time() - cpu_at_start
        out.put({"durations": durations, "cpu": cpu})
    except (BenchError, OSError, http.client.HTTPException) as exc:
        out.put({"error": f"client {index}: {exc}"})


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def load(port: int, server: int) -> dict[str, Any]:
    start_at = time.monotonic() + WARMUP_SECONDS
    stop_at = start_at + SECONDS
    out: multiprocessing.Queue[dict[str, Any]] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=client, args=(port, i, start_at, stop_at, out)) for i in range(CLIENTS)
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, start_at - time.monotonic()))
    server_cpu = foundation.tree_cpu_seconds(server)
    time.sleep(max(0.0, stop_at - time.monotonic()))
    server_cpu = foundation.tree_cpu_seconds(server) - server_cpu
    results = [out.get(timeout=SECONDS + WARMUP_SECONDS + 60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    if errors := [r["error"] for r in results if "error" in r]:
        raise BenchError("; ".join(errors))
    durations = [d for r in results for d in r["durations"]]
    if not durations:
        raise BenchError("no order completed")
    return {
        "measurement": "storefront_flow",
        "clients": CLIENTS,
        "seconds": SECONDS,
        "orders": len(durations),
        "orders_per_s": round(len(durations) / SECONDS, 1),
        "p50_ms": round(percentile(durations, 0.50), 1),
        "p99_ms": round(percentile(durations, 0.99), 1),
        "requests_per_order": 7,
        # The server's processes (its own, the SQLite writer's) and the phones' over the measured
        # seconds: fixed work per order both, which the machine's speed of the moment changes.
        "server_cpu_ms_per_order": round(server_cpu * 1000 / len(durations), 2),
        "clients_cpu_ms_per_order": round(sum(r["cpu"] for r in results) * 1000 / len(durations), 2),
    }


def top_up_stock(base: str, env: dict[str, str]) -> None:
    """Receive plenty of every demo product at the default location, through the public API."""
    token = subprocess.run(
        [sys.executable, "-m", "backend.cli", "token", "create", "--user", foundation.DEMO_EMAIL],
        cwd=foundation.REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10, trust_env=False) as api:
        cursor: str | None = None
        while True:
            page = api.get("/api/v1/products", params={"cursor": cursor} if cursor else {}).json()
            for product in page["items"]:
                body = {"sku": product["sku"], "delta": STOCK_TOP_UP, "reason": "benchmark stock"}
                answer = api.post("/api/v1/stock/adjustments", json=body)
                if answer.status_code >= 300:
                    raise BenchError(f"topping up {product['sku']} answered {answer.status_code}")
            cursor = page.get("next_cursor")
            if not cursor:
                return


def benchmark(work: Path) -> dict[str, Any]:
    port = foundation.free_port()
    env = foundation.server_env(work / "data", port)
    log(f"data dir {work / 'data'}: migrating and loading the demo data")
    foundation.run_cli(["db", "upgrade"], env)
    foundation.run_cli(["demo"], env)
    base = f"http://{HOST}:{port}"
    server = foundation.start(
        "real", [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env, work
    )
    try:
        foundation.wait_healthy(base, server, work / "real.log", timeout=120)
        top_up_stock(base, env)
        log(f"{CLIENTS} clients for {SECONDS} s after a {WARMUP_SECONDS} s warm-up")
        result = load(port, server.pid)
    finally:
        foundation.stop(server)
    print(json.dumps(result), flush=True)
    return result


def main() -> int:
    return foundation.run_bounded(benchmark, SECONDS + WARMUP_SECONDS + 300, "storefront")


if __name__ == "__main__":
    sys.exit(main())
