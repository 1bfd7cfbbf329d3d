"""The catalog as CSV: reading an upload into checked rows, and writing the catalog out.

Reading never writes: it returns every row's problems at once so the owner can fix the file,
and the import applies all rows in one transaction or none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from backend.catalog import rules
from backend.catalog.rules import ProductInput
from backend.kernel import csv_reading, csv_writing

COLUMNS = (
    "sku",
    "name",
    "price",
    "currency",
    "tax_rate",
    "category",
    "barcode",
    "description",
    "active",
    "allow_backorder",
)
REQUIRED = frozenset({"sku", "name", "price"})
MAX_ROWS = 50_000
TRUE = frozenset({"1", "yes", "true", "y", "oui", "x"})
FALSE = frozenset({"0", "no", "false", "n", "non", ""})


@dataclass(frozen=True)
class RowProblem:
    line: int  # as the spreadsheet numbers it: the header is line 1
    column: str
    code: str


@dataclass
class Preview:
    rows: list[ProductInput] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    file_problem: str | None = None  # the whole file is unusable (encoding, columns, size)
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def can_import(self) -> bool:
        return self.file_problem is None and not self.problems and bool(self.rows)


def _flag(raw: str, default: bool) -> bool:
    value = raw.strip().lower()
    if not value:
        return default
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError("csv_flag_invalid")


def _row(raw: dict[str, str], default_currency: str) -> tuple[ProductInput | None, dict[str, str]]:
    def cell(name: str) -> str:  # our own export's neutralised cells read back as they were
        return csv_writing.restore((raw.get(name) or "").strip()).strip()

    problems: dict[str, str] = {}
    currency = (cell("currency") or default_currency).upper()
    values: dict[str, object] = {
        "sku": rules.normalise_sku(cell("sku")),
        "name": cell("name"),
        "currency": currency,
        "description": cell("description"),
        "category": cell("category") or None,
        "barcode": cell("barcode") or None,
    }
    parsers = {
        "price_minor": ("price", lambda: rules.parse_price(cell("price"), currency)),
        "tax_rate_centi": ("tax_rate", lambda: rules.parse_tax_rate(cell("tax_rate") or "0")),
        "active": ("active", lambda: _flag(cell("active"), True)),
        "allow_backorder": ("allow_backorder", lambda: _flag(cell("allow_backorder"), False)),
    }
    for key, (column, parse) in parsers.items():
        try:
            values[key] = parse()
        except ValueError as exc:
            problems[column] = str(exc)
    if problems:
        return None, problems
    product = ProductInput(**values)  # type: ignore[arg-type]
    found = rules.problems(product)
    return (None, found) if found else (product, {})


def read(content: bytes, default_currency: str) -> Preview:
    preview = Preview()
    try:
        reader = csv_reading.dict_reader(csv_reading.decode(content))
        header = [name.strip().lower() for name in reader.fieldnames or []]
    except (ValueError, csv.Error) as exc:
        preview.file_problem = str(exc) if str(exc).startswith("csv_") else "csv_unreadable"
        return preview
    reader.fieldnames = header
    if missing := REQUIRED - set(header):
        preview.file_problem = "csv_missing_columns"
        preview.unknown_columns = sorted(missing)
        return preview
    preview.unknown_columns = [name for name in header if name not in COLUMNS]
    _read_rows(reader, default_currency, preview)
    return preview


def _read_rows(reader: csv.DictReader[str], default_currency: str, preview: Preview) -> None:
    seen: dict[str, int] = {}
    try:
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                preview.file_problem = "csv_too_many_rows"
                return
            if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
                continue  # blank lines are common at the end of exported sheets
            product, problems = _row(raw, default_currency)
            preview.problems += [RowProblem(number, column, code) for column, code in problems.items()]
            if product is None:
                continue
            if product.sku in seen:
                preview.problems.append(RowProblem(number, "sku", "csv_duplicate_sku"))
                continue
            seen[product.sku] = number
            preview.rows.append(product)
    except csv.Error:
        preview.file_problem = "csv_unreadable"


def write(products: Iterable[ProductInput]) -> Iterator[str]:
    """CSV text, a chunk at a time, in the same columns the import reads."""
    buffer = io.StringIO()
    writer = csv_writing.SafeWriter(buffer)
    writer.writerow(COLUMNS)
    for count, product in enumerate(products, start=1):
        writer.writerow(
            [
                product.sku,
                product.name,
                rules.format_price_input(product.price_minor, product.currency),
                product.currency,
                rules.format_tax_rate(product.tax_rate_centi),
                product.category or "",
                product.barcode or "",
                product.description,
                "yes" if product.active else "no",
                "yes" if product.allow_backorder else "no",
            ]
        )
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
