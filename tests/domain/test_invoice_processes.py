"""Invoice numbers from two processes at once on PostgreSQL (each its own pool, as two app servers
would have): 50 drafts issued concurrently, 25 by each, take the numbers 1..50 with no gap and no
duplicate. (SQLite has one writer process per database: the same test in one process covers it,
``test_invoicing.test_fifty_concurrent_issues_are_gapless``.)"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.invoicing import service
from backend.invoicing.models import Invoice
from tests.domain.conftest import Floor
from tests.domain.test_invoicing import scratch

ROOT = Path(__file__).resolve().parents[2]
ISSUER = """
import asyncio, json, sys
import backend.models
from backend.auth.rules import Permission
from backend.invoicing import service
from backend.kernel.db import Database
from backend.orders.rules import Actor

async def main(url, ids):
    db = Database(url)
    owner = Actor(None, frozenset({Permission.INVOICES_MANAGE}))
    try:
        made = await asyncio.gather(*(db.run(service.issue_invoice, owner, i) for i in ids))
    finally:
        await db.dispose()
    print(json.dumps([ref.number for ref in made]))

asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))
"""


async def _issue_in_a_process(url: str, ids: list[int]) -> list[str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ISSUER,
        url,
        json.dumps(ids),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_two_processes_issue_fifty_invoices_without_gap_or_duplicate(
    floor: Floor, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several writing processes: PostgreSQL only (SQLite has one writer)")
    drafts = [(await floor.db.run(service.create_draft, floor.owner, scratch())).id for _ in range(50)]
    first, second = await asyncio.gather(
        _issue_in_a_process(database_url, drafts[0::2]), _issue_in_a_process(database_url, drafts[1::2])
    )
    numbers = sorted(int(number.rsplit("-", 1)[1]) for number in [*first, *second])
    assert numbers == list(range(1, 51))
    async with floor.db.read() as session:
        rows = list(
            await session.execute(select(Invoice.number, Invoice.issue_date).order_by(Invoice.number))
        )
    assert len({number for number, _ in rows}) == 50
    assert [day for _, day in rows] == sorted(day for _, day in rows)  # chronological
