"""Where a drop-off confirmation spends its CPU in the writer: ``confirm_drop_off`` under cProfile.

The drop-off bench (``delivery_confirm.py``) measures confirmations through the real server, where
the request's own path and the machine's load hide what the command costs. This one runs the
command itself, as the SQLite writer process does (``writer.run_batch``: one transaction per
confirmation, the worst case of group commit), in this process: the same shop and started runs as
the bench (16 drivers, ``BENCH_STOPS`` stops each, default 30), the photo already stored (its
hash). The first half of the confirmations is timed (``process_time``, no profiler: CPU ms per
confirmation), the second half is profiled (the functions that take the most, cumulative, on
stderr). Compare a change with the code before it on the same machine, one run after the other.

Environment: BENCH_STOPS (default 30), BENCH_TOP (default 30).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BENCH_STOPS", "30")

import delivery_confirm as bench

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.delivery import service
from backend.delivery.rules import DropOff, Proofs
from backend.kernel import migrations, writer
from backend.kernel.tx import Tx
from backend.orders.rules import Actor

TOP = int(os.environ.get("BENCH_TOP", "30"))
DROP = DropOff("Ada", 48.85, 2.35, 9)
PROOFS = Proofs(photo="0" * 64)


def _confirm(tx: Tx, actor: Actor, run_id: int, stop_id: int) -> service.StopDone:
    return service.confirm_drop_off(tx, actor, run_id, stop_id, DROP, proofs=PROOFS)


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        data = Path(work)
        url = f"sqlite+aiosqlite:///{data / 'comptoir.db'}"
        migrations.upgrade(url, "head")
        runs, _ = asyncio.run(bench._prepare(data, url))
        connection = writer.connect(str(data / "comptoir.db"))
        jobs = [
            (Actor(10 + n, ROLE_PERMISSIONS[Role.DRIVER]), run_id, stop_id)
            for n, (run_id, stops) in enumerate(runs)
            for stop_id in stops
        ]
        half = len(jobs) // 2

        def run(job: tuple[Actor, int, int]) -> None:
            (settled,) = writer.run_batch(connection, [(_confirm, job)])
            if not settled.outcomes[0].ok:
                raise bench.BenchError(repr(settled.outcomes[0].value))

        started = time.process_time()
        for job in jobs[:half]:
            run(job)
        cpu_ms = (time.process_time() - started) * 1000 / half
        profile = cProfile.Profile()
        profile.enable()
        for job in jobs[half:]:
            run(job)
        profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(TOP)
    print(out.getvalue(), file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "delivery_confirm_profile",
                "confirmations_timed": half,
                "load_average": round(os.getloadavg()[0], 1),
                "cpu_ms_per_confirmation": round(cpu_ms, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
