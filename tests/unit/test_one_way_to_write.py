"""Every change goes through ``Database.run``: a rule read off the code, so that a new module
cannot quietly open a second way to write."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"
# The kernel owns transactions: the runner, the writer and the schema's migrations.
KERNEL = {"db.py", "writer.py", "writer_process.py", "tx.py", "checkpointing.py", "migrations.py"}
WRITES_ON_A_SESSION = {
    "add",
    "add_all",
    "delete",
    "flush",
    "merge",
    "commit",
    "rollback",
    "begin",
    "begin_nested",
}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(BACKEND.rglob("*.py")):
        if path.parent == BACKEND / "kernel" and path.name in KERNEL:
            continue
        yield str(path.relative_to(BACKEND.parent)), ast.parse(path.read_text(), str(path))


def _calls(node: ast.AST) -> Iterator[tuple[ast.Call, str]]:
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
            yield call, call.func.attr


def _owner(call: ast.Call) -> str:
    value = call.func.value  # type: ignore[attr-defined]
    return ast.unparse(value)


def test_no_module_opens_a_write_transaction_of_its_own() -> None:
    found = [
        f"{name}:{call.lineno} {ast.unparse(call)}"
        for name, module in _modules()
        for call, attr in _calls(module)
        if (attr == "write" and not call.args and ("db" in _owner(call) or "database" in _owner(call)))
        or (attr in {"commit", "rollback"} and "session" in _owner(call))
    ]
    assert found == []


def test_async_code_never_changes_rows_through_a_session() -> None:
    """Async functions read; what changes rows is a synchronous command run by ``Database.run``."""
    found = []
    for name, module in _modules():
        for function in ast.walk(module):
            if not isinstance(function, ast.AsyncFunctionDef):
                continue
            for call, attr in _calls(function):
                if attr in WRITES_ON_A_SESSION and "session" in _owner(call):
                    found.append(f"{name}:{call.lineno} {ast.unparse(call)}")
    assert found == []
