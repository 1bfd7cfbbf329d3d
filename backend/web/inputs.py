"""What the app takes from a request, whichever way it came (path, query, form, JSON): ids a row can
have, text the database can keep, names with something visible in them."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Ids are PostgreSQL ``integer`` columns; SQLite's reach 2**63 - 1 but no row of ours goes past this.
MAX_ID = 2**31 - 1
_ID_DIGITS = re.compile(r"[0-9]{1,10}")

# Characters that show nothing: format characters (zero-width space and joiners, word joiner,
# byte order mark, direction marks), controls, separators, combining marks with nothing to
# combine with, and the blank letters and symbols that fonts draw as empty space.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def is_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


def parse_number(raw: str | None) -> int | None:
    """A whole number from 0 that an integer column can hold, typed in a query or a form; None for
    anything else (ASCII digits only: ``int()`` would also take "1_000" or "²" fails in it)."""
    if raw is None or not _ID_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def parse_id(raw: str | None) -> int | None:
    """An id typed in a query or a form, or None for anything that names no row."""
    value = parse_number(raw)
    return value if value else None


def is_blank(text: str) -> bool:
    """True when nothing in ``text`` would show: a name made of zero-width spaces is no name."""
    return all(char in _BLANK_GLYPHS or unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in text)


def nul_at(value: Any, where: str = "") -> str | None:
    """Where the first NUL character is in decoded JSON (``customer.name``, ``lines[0].sku``), or
    None. PostgreSQL cannot store NUL in text, and SQLite's full-text search chokes on it."""
    pending: list[tuple[str, Any]] = [(where, value)]
    while pending:  # a loop, not recursion: the body may nest as deep as the parser allowed
        path, item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path or "$"
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    return path or "$"
                pending.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            pending.extend((f"{path}[{n}]", child) for n, child in enumerate(item))
    return None
