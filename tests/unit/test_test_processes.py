"""The suite's own arrangement: PostgreSQL's tests run in one test process (``tests/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import POSTGRES_ONLY_MODULES

ROOT = Path(__file__).resolve().parents[2]


def test_every_module_that_takes_postgresql_alone_is_known_to_the_scheduler() -> None:
    taking = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tests").rglob("test_*.py")
        if "postgres_url" in path.read_text(encoding="utf-8")
    }
    taking.discard("tests/unit/test_test_processes.py")
    assert taking == set(POSTGRES_ONLY_MODULES)
