"""Invoice issuing and the Factur-X PDF, on SQLite (a temporary file).

Issuing: DRAFTS drafts are made first (not timed); then 16 asyncio tasks issue them through
``issue_invoice`` as fast as they can, each a command of its own (the writer process groups them).
The numbers must come out 1..DRAFTS with no gap or duplicate. Beside the rate, the CPU time
per issue of this process (the app's side: submitting, pickling, answering) and of the writer
process (the commands themselves): on a machine shared with other work, the rate follows the load,
the CPU time much less. PDF: the Factur-X PDF (drawing, CII
XML, schema check, PDF/A-3 embedding) of a 30-line issued invoice, RENDERS times; p50 and p99.
Prints one JSON line on stdout. Environment: BENCH_DRAFTS (default 3000), BENCH_RENDERS (200).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import backend.models  # noqa: F401 - maps every table, as the app does
from backend.auth.rules import Permission
from backend.invoicing import pdf, service, views
from backend.invoicing.service import CustomerInput, DraftInput, LineInput
from backend.kernel import migrations
from backend.kernel.db import Database
from backend.orders.rules import Actor

DRAFTS = int(os.environ.get("BENCH_DRAFTS", "3000"))
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


def writer_cpu_seconds() -> float:
    """User and system CPU time of the SQLite writer process so far (Linux: /proc)."""
    (writer,) = [child for child in multiprocessing.active_children() if child.name == "sqlite-writer"]
    fields = Path(f"/proc/{writer.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    got = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    if got != list(range(1, DRAFTS + 1)):
        raise SystemExit("numbers are not gapless")
    return {
        "issued": DRAFTS,
        "seconds": round(elapsed, 3),
        "issued_per_s": round(DRAFTS / elapsed, 1),
        "app_cpu_ms_per_issue": round(app_cpu * 1000 / DRAFTS, 3),
        "writer_cpu_ms_per_issue": round(writer_cpu * 1000 / DRAFTS, 3),
    }


async def rendering(db: Database) -> dict[str, float]:
    made = await db.run(service.create_draft, OWNER, DraftInput(BUYER, lines(30)))
    await db.run(service.issue_invoice, OWNER, made.id)
    async with db.read() as session:
        view = await views.invoice_view(session, made.id)
    assert view is not None
    times = []
    for _ in range(RENDERS):
        started = time.perf_counter()
        pdf.facturx_pdf(view, "fr")
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "renders": RENDERS,
        "pdf_p50_ms": round(statistics.median(times), 1),
        "pdf_p99_ms": round(times[int(len(times) * 0.99) - 1], 1),
        "pdf_bytes": len(pdf.facturx_pdf(view, "fr")),
    }


async def measure(url: str) -> dict[str, float]:
    db = Database(url)
    try:
        return {"engine": "sqlite", "tasks": TASKS, **await issuing(db), **await rendering(db)}
    finally:
        await db.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        migrations.upgrade(url)  # runs its own event loop: before ours
        result = asyncio.run(measure(url))
    print(json.dumps(result))
    print("issue target ≥ 300/s, PDF p99 target < 300 ms", file=sys.stderr)


if __name__ == "__main__":
    main()
