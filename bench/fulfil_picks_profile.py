"""Where a pick confirmation spends its CPU in the writer: ``confirm_pick`` under cProfile.

The picking bench (``fulfil_picks.py``) times confirmations through the real server, where the
machine's load and the loopback hide what the code costs. This one runs the command itself, as the
SQLite writer process does (``writer.run_batch``: one transaction per confirmation, the worst case
of group commit), in this process, under cProfile: a 20-order batch of 3 lines of 2 units started,
then every unit confirmed one at a time. The first round warms up, the last is profiled: the
functions that take the most, cumulative (on stderr); those between give the CPU time per
confirmation (``process_time``, no profiler), least and median of the rounds. Compare a change
with the code before it on the same machine, one run after the other.

Environment: BENCH_BATCH (default 20), BENCH_ROUNDS (default 7, at least 3), BENCH_TOP (default 25).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import foundation
import fulfil_picks as picks
import orders as order_bench
from sqlalchemy import select

import backend.models  # noqa: F401 - maps every table, as the app does
from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.auth.service import create_user
from backend.customers.details import Address, CustomerDetails
from backend.fulfilment import service
from backend.inventory.models import Location
from backend.kernel import writer
from backend.kernel.db import Database
from backend.orders import service as orders
from backend.orders.drafts import OrderDraft, WantedLine
from backend.orders.rules import Actor

BATCH = int(os.environ.get("BENCH_BATCH", "20"))
ROUNDS = max(3, int(os.environ.get("BENCH_ROUNDS", "7")))
TOP = int(os.environ.get("BENCH_TOP", "25"))
PARIS = Address("1 rue de Rivoli", "Paris", "75001", "FR", 48.8606, 2.3376)


async def _batches(url: str) -> tuple[Actor, list[list[tuple[int, str]]]]:
    """ROUNDS batches started: each one's units to confirm, (order id, SKU) per unit."""
    db = Database(url)
    try:
        owner = await create_user(db, order_bench.OWNER, "Owner", Role.OWNER, picks.PASSWORD)
        actor = Actor(owner.id, ROLE_PERMISSIONS[Role.OWNER])
        async with db.read() as session:
            location_id = int(await session.scalar(select(Location.id).where(Location.code == "BENCH")))
        rounds = []
        for round_no in range(ROUNDS):
            units, seen = [], []
            for n in range(BATCH):
                first = (round_no * BATCH + n) * picks.LINES % (order_bench.SKUS - picks.LINES)
                skus = [f"BENCH-{first + k:04d}" for k in range(picks.LINES)]
                draft = OrderDraft(
                    customer=CustomerDetails(f"Picker {round_no}-{n}", f"p{round_no}-{n}@bench.test", None),
                    lines=[WantedLine(sku, picks.UNITS) for sku in skus],
                    fulfilment_mode="shipping",
                    payment_method="card",
                    channel="staff",
                    address=PARIS,
                )
                placed = await orders.place_order(db, actor, draft)
                accepted = await orders.accept_order(db, actor, placed.id)
                seen.append(service.Seen(accepted.id, accepted.version))
                units += [(accepted.id, sku) for sku in skus for _ in range(picks.UNITS)]
            await db.run(service.start_batch, actor, location_id, seen)
            rounds.append(units)
        return actor, rounds
    finally:
        await db.dispose()


def _confirm(path: str, actor: Actor, units: list[tuple[int, str]]) -> float:
    """Every unit confirmed, one transaction each; returns the CPU seconds it took."""
    connection = writer.connect(path)
    try:
        started = time.process_time()
        for order_id, sku in units:
            (settled,) = writer.run_batch(connection, [(service.confirm_pick, (actor, order_id, sku, 1))])
            outcome = settled.outcomes[0]
            if not outcome.ok:
                raise foundation.BenchError(f"a confirmation failed: {outcome.value!r}")
        return time.process_time() - started
    finally:
        connection.close()


def benchmark(work: Path) -> dict[str, Any]:
    data_dir = work / "data"
    path = data_dir / "comptoir.db"
    url = f"sqlite+aiosqlite:///{path}"
    env = foundation.server_env(data_dir, foundation.free_port())
    foundation.run_cli(["db", "upgrade"], env)
    asyncio.run(picks._stock(url))
    actor, rounds = asyncio.run(_batches(url))
    _confirm(str(path), actor, rounds[0])  # warm-up: imports, prepared statements, mapper setup
    # Without the profiler's overhead, a round at a time: the least is the code's cost, the rest
    # is the machine's other work taking the CPU's caches.
    plain = [_confirm(str(path), actor, units) * 1000 / len(units) for units in rounds[1:-1]]
    profiler = cProfile.Profile()
    profiler.enable()
    _confirm(str(path), actor, rounds[-1])
    profiler.disable()
    report = io.StringIO()
    pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(TOP)
    print(report.getvalue(), file=sys.stderr)
    return {
        "summary": "fulfil_picks_profile",
        "confirmations_per_round": len(rounds[1]),
        "cpu_ms_per_confirmation_min": round(min(plain), 3),
        "cpu_ms_per_confirmation_median": round(statistics.median(plain), 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    def measured(work: Path) -> None:
        print(json.dumps(benchmark(work)), flush=True)

    return foundation.run_bounded(measured, 600, "fulfil_picks_profile")


if __name__ == "__main__":
    sys.exit(main())
