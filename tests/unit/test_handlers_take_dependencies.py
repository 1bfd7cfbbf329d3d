"""Handlers are given what they use (``backend/web/dependencies.py``); they never look it up on the
app. Only the providers, the app factory and the middleware read the app's state."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
TEMPLATES = ROOT / "frontend" / "templates"

MAY_READ_STATE = {
    "backend/app.py",
    "backend/web/dependencies.py",
    "backend/auth/web/middleware.py",
    "backend/idempotency/web/middleware.py",
}


def _web_modules() -> list[Path]:
    places = [*BACKEND.glob("*/web/*.py"), *BACKEND.glob("web/*.py")]
    places += [
        *(BACKEND / "ops").glob("*.py"),
        *(BACKEND / "pwa").glob("*.py"),
        *(BACKEND / "realtime").glob("*.py"),
    ]
    return sorted(places)


def _named(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == name


def _is_constant(node: ast.AST, value: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == value


def _reads_state(path: Path) -> list[int]:
    """Lines of ``<x>.app.state`` or ``scope["litestar_app"]`` (docstrings and comments aside)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        on_app = isinstance(node, ast.Attribute) and node.attr == "state" and _named(node.value, "app")
        in_scope = isinstance(node, ast.Subscript) and _is_constant(node.slice, "litestar_app")
        if on_app or in_scope:
            found.append(node.lineno)
    return found


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_no_handler_module_reads_the_apps_state() -> None:
    readers = {
        f"{_relative(path)}:{line}"
        for path in _web_modules()
        if _relative(path) not in MAY_READ_STATE
        for line in _reads_state(path)
    }
    assert not readers, f"take it as a parameter (backend/web/dependencies.py): {sorted(readers)}"


def test_no_template_reads_the_apps_state() -> None:
    pattern = re.compile(r"app\.state|litestar_app")
    readers = [
        f"{_relative(path)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not readers, f"give it through the handler or the page frame (shell()): {readers}"


def test_the_scan_sees_a_handler_reading_the_state(tmp_path: Path) -> None:
    module = tmp_path / "handler.py"
    module.write_text(
        '"""app.state in a docstring is fine."""\nasync def h(request):\n    return request.app.state.db\n'
    )
    assert _reads_state(module) == [3]
