"""Housekeeping announces its first pass, even a failed one, so nobody waits on it forever."""

from __future__ import annotations

import asyncio

import pytest

from backend.ops import maintenance


@pytest.mark.parametrize("fails", [False, True])
async def test_the_first_pass_is_announced_whatever_its_outcome(
    monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    async def purge_once(db: object) -> dict[str, int]:
        if fails:
            raise RuntimeError("database away")
        return {"sessions": 0, "idempotency_keys": 0}

    monkeypatch.setattr(maintenance, "purge_once", purge_once)
    first_pass = asyncio.Event()
    task = asyncio.create_task(maintenance.run_forever(None, first_pass))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(first_pass.wait(), 2)
    finally:
        task.cancel()
