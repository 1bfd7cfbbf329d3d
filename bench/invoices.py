"""Invoice issuing and the Factur-X PDF, on SQLite (temporary files).

Issuing: DRAFTS drafts are made first (not timed); then 16 asyncio tasks issue them through
``issue_invoice`` as fast as they can, each a command of its own (the writer process groups them).
The numbers must come out 1..DRAFTS with no gap or duplicate. Beside the rate, the CPU time
per issue of this process (the app's side: submitting, pickling, answering) and of the writer
process (the commands themselves): on a machine shared with other work, the rate follows the load,
the CPU time much less.

Issuing over HTTP (``http_`` fields): the app in this process behind httpx's ASGI transport, 16
clients each sending ``POST /api/v1/invoices/{id}/issue`` with a bearer token and an
``Idempotency-Key``, one after the other, HTTP_DRAFTS in all: the whole handler path (middleware,
guards, the keyed command, the answer), with the app's tailer and reactions running as they do
when serving. The CPU time of this process then includes the client's.

PDF: the Factur-X PDF (drawing, CII XML, schema check, PDF/A-3 embedding) of a 30-line issued
invoice, RENDERS times; p50 and p99, and the CPU time per PDF.

Prints one JSON line on stdout. Environment: BENCH_DRAFTS (default 3000), BENCH_HTTP_DRAFTS (1000),
BENCH_RENDERS (200).
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import foundation
import httpx

import backend.models  # noqa: F401 - maps every table, as the app does
from backend.app import create_app
from backend.auth.models import User
from backend.auth.rules import ROLE_PERMISSIONS, Permission, Role
from backend.auth.service import create_api_token
from backend.invoicing import pdf, service, views
from backend.invoicing.service import CustomerInput, DraftInput, LineInput
from backend.kernel import migrations
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from backend.kernel.tx import Tx
from backend.orders.rules import Actor

DRAFTS = int(os.environ.get("BENCH_DRAFTS", "3000"))
HTTP_DRAFTS = int(os.environ.get("BENCH_HTTP_DRAFTS", "1000"))
RENDERS = int(os.environ.get("BENCH_RENDERS", "200"))
TASKS = 16
OWNER = Actor(None, frozenset({Permission.INVOICES_MANAGE}))
BUYER = CustomerInput(
    "ACME SARL", "1 rue de la Paix", "75002", "Paris", is_business=True, vat_number="FR40303265045"
)


def lines(count: int) -> tuple[LineInput, ...]:
    return tuple(
        LineInput(
            n % 7 + 1, f"Article {n}", unit_price_minor=999 + 37 * n, tax_rate_centi=(2000, 550, 1000)[n % 3]
        )
        for n in range(count)
    )


def gapless(numbers: list[str], count: int) -> None:
    if sorted(int(number.rsplit("-", 1)[1]) for number in numbers) != list(range(1, count + 1)):
        raise SystemExit("numbers are not gapless")


def writer_cpu_seconds() -> float:
    """User and system CPU time of the SQLite writer process so far (Linux: /proc)."""
    (writer,) = [child for child in multiprocessing.active_children() if child.name == "sqlite-writer"]
    return foundation.process_cpu_seconds(writer.pid)


async def issuing(db: Database) -> dict[str, float]:
    drafts = [await db.run(service.create_draft, OWNER, DraftInput(BUYER, lines(3))) for _ in range(DRAFTS)]
    queue = iter(drafts)
    numbers: list[str] = []

    async def worker() -> None:
        for made in queue:
            issued = await db.run(service.issue_invoice, OWNER, made.id)
            numbers.append(issued.number or "")

    started, app_cpu, writer_cpu = time.perf_counter(), time.process_time(), writer_cpu_seconds()
    await asyncio.gather(*(worker() for _ in range(TASKS)))
    elapsed = time.perf_counter() - started
    app_cpu, writer_cpu = time.process_time() - app_cpu, writer_cpu_seconds() - writer_cpu
    gapless(numbers, DRAFTS)
    return {
        "issued": DRAFTS,
        "seconds": round(elapsed, 3),
        "issued_per_s": round(DRAFTS / elapsed, 1),
        "app_cpu_ms_per_issue": round(app_cpu * 1000 / DRAFTS, 3),
        "writer_cpu_ms_per_issue": round(writer_cpu * 1000 / DRAFTS, 3),
    }


def _owner(tx: Tx) -> int:
    tx.session.add(User(id=1, email="owner@bench.test", name="Owner", role="owner", password_hash="-"))
    return 1


async def http_issuing(directory: str, url: str) -> dict[str, float]:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    settings = Settings(data_dir=Path(directory), database_url=url, secret_key="bench-" + "x" * 40)
    app = create_app(replace(settings, log_requests=False))
    async with app.lifespan():
        db: Database = app.state.db
        owner = Actor(await db.run(_owner), ROLE_PERMISSIONS[Role.OWNER])
        token = await create_api_token(db, "owner@bench.test", "bench")
        drafts = [
            await db.run(service.create_draft, owner, DraftInput(BUYER, lines(3))) for _ in range(HTTP_DRAFTS)
        ]
        queue = iter(drafts)
        numbers: list[str] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def client_task() -> None:
                for made in queue:
                    headers = {"authorization": f"Bearer {token}", "idempotency-key": f"issue-{made.id}"}
                    answer = await client.post(f"/api/v1/invoices/{made.id}/issue", headers=headers)
                    if answer.status_code != 200:
                        raise SystemExit(f"issue {made.id}: {answer.status_code} {answer.text[:200]}")
                    numbers.append(answer.json()["number"])

            started, app_cpu, writer_cpu = time.perf_counter(), time.process_time(), writer_cpu_seconds()
            await asyncio.gather(*(client_task() for _ in range(TASKS)))
            elapsed = time.perf_counter() - started
            app_cpu, writer_cpu = time.process_time() - app_cpu, writer_cpu_seconds() - writer_cpu
    gapless(numbers, HTTP_DRAFTS)
    return {
        "http_issued": HTTP_DRAFTS,
        "http_issued_per_s": round(HTTP_DRAFTS / elapsed, 1),
        "http_app_and_client_cpu_ms_per_issue": round(app_cpu * 1000 / HTTP_DRAFTS, 3),
        "http_writer_cpu_ms_per_issue": round(writer_cpu * 1000 / HTTP_DRAFTS, 3),
    }


async def rendering(db: Database) -> dict[str, float]:
    made = await db.run(service.create_draft, OWNER, DraftInput(BUYER, lines(30)))
    await db.run(service.issue_invoice, OWNER, made.id)
    async with db.read() as session:
        view = await views.invoice_view(session, made.id)
    assert view is not None
    times = []
    cpu = time.process_time()
    for _ in range(RENDERS):
        started = time.perf_counter()
        pdf.facturx_pdf(view, "fr")
        times.append((time.perf_counter() - started) * 1000)
    cpu = time.process_time() - cpu
    times.sort()
    return {
        "renders": RENDERS,
        "pdf_p50_ms": round(statistics.median(times), 1),
        "pdf_p99_ms": round(times[int(len(times) * 0.99) - 1], 1),
        "pdf_cpu_ms": round(cpu * 1000 / RENDERS, 1),
        "pdf_bytes": len(pdf.facturx_pdf(view, "fr")),
    }


async def measure(url: str) -> dict[str, float]:
    db = Database(url)
    try:
        return {**await issuing(db), **await rendering(db)}
    finally:
        await db.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        url, http_url = (f"sqlite+aiosqlite:///{Path(directory) / name}" for name in ("bench.db", "http.db"))
        migrations.upgrade(url)  # each runs its own event loop: before ours
        migrations.upgrade(http_url)
        result = {"engine": "sqlite", "tasks": TASKS, "load_average": round(os.getloadavg()[0], 1)}
        result |= asyncio.run(measure(url))
        result |= asyncio.run(http_issuing(directory, http_url))
    print(json.dumps(result))
    print("issue target ≥ 300/s, PDF p99 target < 300 ms", file=sys.stderr)


if __name__ == "__main__":
    main()
