"""Exports are opened in spreadsheets: no cell may start a formula there (OWASP's rule)."""

from __future__ import annotations

import csv
import io

import pytest

from backend.kernel.csv_writing import SafeWriter, neutralise, restore

FORMULAS = ['=HYPERLINK("http://evil.example","Open")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_cell_that_would_start_a_formula_is_written_after_a_quote(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Ada", "", "1.20", "a=b", " =x", "Crème brûlée"])
def test_other_cells_are_left_as_they_are(value: str) -> None:
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [*FORMULAS, "Ada", "", "'", "'=x", "''-1", "it's"])
def test_restore_gives_back_exactly_what_was_neutralised(value: str) -> None:
    assert restore(neutralise(value)) == value


def test_the_writer_neutralises_every_cell_of_every_row() -> None:
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(["name", "total"])
    writer.writerows([["=1+1", -5], ["Ada", 3]])
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["name", "total"], ["'=1+1", "'-5"], ["Ada", "3"]]
