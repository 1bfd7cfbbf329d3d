"""Writing CSV that a spreadsheet opens as text, never as formulas.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
spreadsheets as a formula: a shopper named ``=HYPERLINK(…)`` would become a live link in whoever
opens the export. OWASP's rule: such a cell is written after a single quote, which spreadsheets
take as "this is text". A cell that already begins with a quote gets one more, so that
``restore`` (used when a file of ours is imported again) gives back exactly what was written.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: str) -> str:
    return QUOTE + value if value.startswith((*FORMULA_STARTS, QUOTE)) else value


def restore(value: str) -> str:
    """The cell as it was before ``neutralise``."""
    return value[1:] if value.startswith(QUOTE) and value[1:].startswith((*FORMULA_STARTS, QUOTE)) else value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``neutralise``: the one way exports write."""

    def __init__(self, stream: Any) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(str(cell)) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
