"""Shelf positions as CSV: one line per product and location (``sku``, ``location``, ``bin``),
read into checked placements, and the stock written out in the same columns with the figures
beside them, so an export filled in with a spreadsheet imports back.

Reading never writes: it returns every line's problems at once, and the import applies every line
or none. Setting a position twice leaves it as it was, so a file sent again changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Product
from backend.catalog.rules import normalise_sku
from backend.inventory import rules
from backend.inventory.commands import Placement
from backend.inventory.levels import LevelView
from backend.inventory.models import Location
from backend.kernel import csv_reading, csv_writing

COLUMNS = ("sku", "location", "bin")
REQUIRED = frozenset({"sku", "bin"})
# What the export adds for reading only: the import ignores these columns.
FIGURES = ("name", "on_hand", "reserved", "available")
MAX_ROWS = 50_000


@dataclass(frozen=True)
class RowProblem:
    line: int  # as the spreadsheet numbers it: the header is line 1
    column: str
    code: str  # of ``rules.MESSAGES``, or the catalog's file problems


@dataclass
class Preview:
    placements: list[Placement] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    file_problem: str | None = None
    missing_columns: list[str] = field(default_factory=list)

    @property
    def can_import(self) -> bool:
        return self.file_problem is None and not self.problems and bool(self.placements)


@dataclass(frozen=True)
class _Line:
    number: int
    sku: str
    location: str
    bin: str


def _lines(content: bytes, preview: Preview) -> list[_Line]:
    try:
        reader = csv_reading.dict_reader(csv_reading.decode(content))
        header = [name.strip().lower() for name in reader.fieldnames or []]
    except (ValueError, csv.Error) as exc:
        preview.file_problem = str(exc) if str(exc).startswith("csv_") else "csv_unreadable"
        return []
    reader.fieldnames = header
    if missing := REQUIRED - set(header):
        preview.file_problem, preview.missing_columns = "csv_missing_columns", sorted(missing)
        return []

    def cell(raw: dict[str, str], name: str) -> str:  # our own export's neutralised cells read back
        return csv_writing.restore((raw.get(name) or "").strip()).strip()

    found = []
    try:
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                preview.file_problem = "csv_too_many_rows"
                return []
            if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
                continue  # blank lines are common at the end of exported sheets
            found.append(_Line(number, cell(raw, "sku"), cell(raw, "location"), cell(raw, "bin")))
    except csv.Error:
        preview.file_problem = "csv_unreadable"
        return []
    return found


async def _known(session: AsyncSession, lines: list[_Line]) -> tuple[dict[str, int], dict[str, int]]:
    """Product ids by SKU (for the file's SKUs) and location ids by code (all of them)."""
    skus = sorted({normalise_sku(line.sku) for line in lines})
    products: dict[str, int] = {}
    for start in range(0, len(skus), 500):  # databases cap the number of bound parameters
        chunk = skus[start : start + 500]
        query = select(Product.sku, Product.id).where(Product.sku.in_(chunk))
        products.update(dict((await session.execute(query)).all()))
    places = await session.execute(select(Location.code, Location.id, Location.is_default))
    codes: dict[str, int] = {}
    for code, location_id, is_default in places:
        codes.setdefault(code.upper(), location_id)  # codes are typed in any case in a sheet
        if is_default:
            codes[""] = location_id  # a blank location: the default one
    return products, codes


async def read(session: AsyncSession, content: bytes) -> Preview:
    preview = Preview()
    lines = _lines(content, preview)
    if preview.file_problem:
        return preview
    products, codes = await _known(session, lines)
    seen: set[tuple[int, int]] = set()
    for line in lines:
        product_id = products.get(normalise_sku(line.sku))
        location_id = codes.get(line.location.upper())
        cleaned = rules.normalise_bin(line.bin)
        problems = {
            "sku": None if product_id is not None else "csv_unknown_product",
            "location": None if location_id is not None else "csv_unknown_location",
            "bin": rules.bin_problem(cleaned),
        }
        preview.problems += [RowProblem(line.number, name, code) for name, code in problems.items() if code]
        if product_id is None or location_id is None or problems["bin"]:
            continue
        if (product_id, location_id) in seen:
            preview.problems.append(RowProblem(line.number, "location", "csv_duplicate_level"))
            continue
        seen.add((product_id, location_id))
        preview.placements.append(Placement(product_id, location_id, cleaned))
    return preview


def write(levels: Iterable[LevelView]) -> Iterator[str]:
    """CSV text, a chunk at a time: the import's columns first, then the figures."""
    buffer = io.StringIO()
    writer = csv_writing.SafeWriter(buffer)
    writer.writerow((*COLUMNS, *FIGURES))
    for count, level in enumerate(levels, start=1):
        writer.writerow(
            [
                level.sku,
                level.location_code,
                level.bin or "",
                level.name,
                level.on_hand,
                level.reserved,
                level.available,
            ]
        )
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
