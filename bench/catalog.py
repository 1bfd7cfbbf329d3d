"""Catalog benchmark: the signed-in /catalog list with 100,000 products, served by the real app.

Builds a temporary SQLite data directory (migrated, then filled by ``catalog_data``), creates an
owner with ``comptoir user add``, starts ``comptoir serve`` and measures each page with wrk twice:
with one connection (the time one person waits) and the four main pages again with BENCH_CONNECTIONS
(default 16: a shop's whole team at once; see bench/README.md). Then ``catalog_profile`` explains
where the time goes and what candidate fixes would save.

Prints one JSON line per measurement and a summary line on stdout; progress goes to stderr. Exits
non-zero when a figure cannot be trusted (a server did not start, sign-in failed, a page did not
show what it should, errors or non-2xx answers under load), not when the target is missed.

Environment: BENCH_SECONDS (10), BENCH_CONNECTIONS (16), BENCH_PRODUCTS (100000), BENCH_IDLE_MS (50).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import catalog_data
import catalog_profile
import foundation
import httpx
from foundation import HOST, REPORT_LUA, WARMUP_SECONDS, BenchError

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "100000"))
DEEP_PAGE = 1000  # the cursor is the one the list hands out after this many pages of 50
# /health must answer this fast before a measurement starts; raise it on a machine others load.
IDLE_MS = float(os.environ.get("BENCH_IDLE_MS", "50"))
CODE = "BENCH-054321"  # an exact SKU, as a barcode scanner or a quick search types it
P99_TARGET_MS = 30.0

OWNER_EMAIL, OWNER_PASSWORD = "owner@bench.test", "bench owner password"
ROW = re.compile(r'<li class="list__item product-row')
LIST, MORE = 'id="product-rows"', 'class="list__item list__more"'  # the page's list; the next-page link


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    rows: int  # product rows the answer must hold
    headers: list[str] = field(default_factory=list)
    must_contain: str = ""
    # Diagnostic pages run with one connection only: under load their requests outlast the run
    # and keep the server busy after wrk has gone, which would spoil the next measurement.
    loaded: bool = True


def log(message: str) -> None:
    print(f"catalog: {message}", file=sys.stderr, flush=True)


def pages(cursor: str) -> list[Page]:
    htmx = ["HX-Request: true"]
    return [
        Page("catalog_first", "/catalog", 50, must_contain=LIST),
        Page("catalog_deep", "/catalog?" + urlencode({"cursor": cursor}), 50, must_contain=LIST),
        Page("catalog_search", "/catalog?q=" + catalog_data.SEARCH_WORD, 50, must_contain="à la truffe"),
        Page("catalog_fragment", "/catalog", 50, htmx, must_contain=MORE),
        Page("catalog_code", "/catalog?q=" + CODE, 1, must_contain=CODE, loaded=False),
        Page("catalog_category", "/catalog?category=3", 50, loaded=False),
    ]


def sign_in(base: str) -> str:
    """Sign in through the form as a browser does; return the Cookie header for wrk."""
    with httpx.Client(base_url=base, timeout=10, trust_env=False) as client:
        form = client.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        if form.status_code != 200 or not token:
            raise BenchError(f"GET /login answered {form.status_code} without a CSRF field")
        data = {"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "_csrf_token": token[1], "next": "/"}
        answer = client.post("/login", data=data)
        cookies = {name: client.cookies.get(name) for name in ("comptoir_session", "csrftoken")}
        if answer.status_code != 303 or not all(cookies.values()):
            raise BenchError(f"sign-in answered {answer.status_code}, cookies {sorted(client.cookies)}")
        return "; ".join(f"{name}={value}" for name, value in cookies.items())


def check(base: str, page: Page, cookie: str) -> None:
    """Fail unless the page answers 200 with the rows it should: a fast wrong page proves nothing."""
    headers = {"Cookie": cookie, **dict(h.split(": ", 1) for h in page.headers)}
    answer = httpx.get(base + page.path, headers=headers, timeout=30, trust_env=False)
    rows = len(ROW.findall(answer.text))
    problems = [
        f"status {answer.status_code}" if answer.status_code != 200 else "",
        f"{rows} product rows instead of {page.rows}" if rows != page.rows else "",
        f"no {page.must_contain!r}" if page.must_contain not in answer.text else "",
        "a full page and a fragment mixed up" if ("<html" in answer.text) == bool(page.headers) else "",
    ]
    if any(problems):
        raise BenchError(f"{page.name}: " + ", ".join(problem for problem in problems if problem))


def wrk(url: str, connections: int, seconds: int, headers: list[str]) -> dict[str, Any]:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    command += ["-s", str(REPORT_LUA), *(arg for header in headers for arg in ("-H", header)), url]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30)
    last = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not last:
        raise BenchError(f"wrk printed no JSON for {url}:\n{done.stdout}{done.stderr}")
    return json.loads(last[-1])


def measure(base: str, page: Page, cookie: str, connections: int) -> dict[str, Any]:
    log(f"{page.name}: {page.path} ({SECONDS} s, {connections} connections)")
    wait_idle(base)
    headers = [f"Cookie: {cookie}", *page.headers]
    wrk(base + page.path, connections, WARMUP_SECONDS, headers)
    figures = wrk(base + page.path, connections, SECONDS, headers)
    result = {"measurement": page.name, "url": page.path, "connections": connections, **figures}
    print(json.dumps(result), flush=True)
    if any(result["errors"].values()) or not result["requests"]:
        raise BenchError(f"{page.name}: {result['requests']} requests, errors {result['errors']}")
    return result


def wait_idle(base: str, timeout: float = 60) -> None:
    """Wait for the server to finish what wrk left in flight: /health answers fast again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        httpx.get(f"{base}/health", timeout=timeout, trust_env=False)
        if time.monotonic() - started < IDLE_MS / 1000:
            return
    raise BenchError(f"the server stayed busy {timeout} s after the load stopped")


def prepare(work: Path, env: dict[str, str]) -> Path:
    database = work / "data" / "comptoir.db"
    foundation.run_cli(["db", "upgrade"], env)
    log(f"inserting {PRODUCTS:,} products into {database}")
    catalog_data.build(database, PRODUCTS)
    foundation.run_cli(["user", "add", OWNER_EMAIL, "--role", "owner", "--password", OWNER_PASSWORD], env)
    return database


def serve_and_measure(work: Path, env: dict[str, str], port: int, cursor: str) -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)]
    server = foundation.start("real", command, env, work)
    base = f"http://{HOST}:{port}"
    try:
        foundation.wait_healthy(base, server, work / "real.log")
        cookie = sign_in(base)
        for page in pages(cursor):
            check(base, page, cookie)
        results = [measure(base, page, cookie, 1) for page in pages(cursor)]
        results += [measure(base, page, cookie, CONNECTIONS) for page in pages(cursor) if page.loaded]
        check(base, pages(cursor)[0], cookie)  # still signed in, still the right page
        return results
    finally:
        foundation.stop(server)


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    first = {r["connections"]: r for r in results if r["measurement"] == "catalog_first"}
    p99 = {f"c{c}": first[c]["p99_ms"] for c in sorted(first)}
    return {
        "summary": "catalog",
        "products": PRODUCTS,
        "seconds": SECONDS,
        "connections": [1, CONNECTIONS],
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine skews figures
        "first_page_p99_ms": p99,
        "target_p99_max_ms": P99_TARGET_MS,
        "target_met": {key: value < P99_TARGET_MS for key, value in p99.items()},
    }


def benchmark(work: Path) -> None:
    port = foundation.free_port()
    env = foundation.server_env(work / "data", port)
    database = prepare(work, env)
    cursor = catalog_data.cursor_after_page(database, DEEP_PAGE)
    results = serve_and_measure(work, env, port, cursor)
    print(json.dumps(summary(results)), flush=True)
    log("explaining: query plans, database and render time per page, prototype fixes")
    catalog_profile.report(database, cursor, CODE)


def main() -> int:
    return foundation.run_bounded(benchmark, 10 * (SECONDS + WARMUP_SECONDS + 95) + 600, "catalog")


if __name__ == "__main__":
    sys.exit(main())
