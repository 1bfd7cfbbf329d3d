"""Marketplace orders from a CSV export, read into orders and the problems of each row.

Rows that share an external reference are one order, one line per row. Each order is checked by
the rules every channel obeys (``drafts.draft_problems``), and each problem is named by its row and
column, so the whole file can be fixed at once. Reading is pure: what needs the database (SKUs for
sale, location codes, references already imported) comes in through ``check_against``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from backend.catalog.rules import normalise_sku
from backend.i18n.translation import N_
from backend.kernel import csv_reading
from backend.orders import drafts, rules
from backend.orders.drafts import (
    Address,
    CustomerDetails,
    OrderDraft,
    WantedLine,
    draft_problems,
    normalise_address,
    normalise_customer,
)
from backend.orders.rules import Channel, FulfilmentMode

COLUMNS = (
    "external_ref",
    "customer_name",
    "email",
    "phone",
    "sku",
    "quantity",
    "fulfilment_mode",
    "address_line1",
    "city",
    "postal_code",
    "country",
    "location",
    "payment_method",
    "notes",
)
REQUIRED = ("external_ref", "customer_name", "sku", "quantity", "fulfilment_mode", "payment_method")
LINE_COLUMNS = frozenset({"external_ref", "sku", "quantity"})
ORDER_COLUMNS = tuple(column for column in COLUMNS if column not in LINE_COLUMNS)
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
WHOLE_NUMBER = re.compile(r"^([+-]?)([0-9]+)$")
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(sku|quantity)$")

# Where the order rules' field paths are in the file.
COLUMN_OF = {
    "customer.name": "customer_name",
    "customer.email": "email",
    "customer.phone": "phone",
    "address": "address_line1",
    "address.line1": "address_line1",
    "address.city": "city",
    "address.postal_code": "postal_code",
    "address.country": "country",
    "fulfilment_mode": "fulfilment_mode",
    "payment_method": "payment_method",
    "location": "location",
    "notes": "notes",
    "lines": "sku",
}

CSV_MESSAGES: Mapping[str, str] = {
    "csv_too_large": N_("The file is larger than 2 MB; split it."),
    "csv_encoding": N_("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”."),
    "csv_unreadable": N_("The file could not be read as CSV."),
    "csv_missing_columns": N_("The first line must name the columns; these are missing:"),
    "csv_duplicate_columns": N_("These columns are named twice:"),
    "csv_too_many_rows": N_("The file has more than 5,000 rows; split it."),
    "csv_empty": N_("The file has no orders."),
    "csv_required": N_("This cell is empty."),
    "csv_differs": N_("An earlier row of this order says something else here."),
    "csv_short": N_("Not enough stock: %(available)s available."),
}
MESSAGES: Mapping[str, str] = {**rules.MESSAGES, **CSV_MESSAGES}


@dataclass(frozen=True)
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    code: str
    available: int | None = None  # a line short of stock: how many units there are


@dataclass(frozen=True)
class KnownOrder:
    """The order an external reference already created."""

    id: int
    number: str


@dataclass
class ImportedOrder:
    external_ref: str
    rows: list[int] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # order column → the first value given
    origin: dict[str, int] = field(default_factory=dict)  # order column → the row that gave it
    lines: list[WantedLine] = field(default_factory=list)
    line_rows: list[int] = field(default_factory=list)  # the row of each line
    skus: list[tuple[int, str]] = field(default_factory=list)  # (row, SKU), lines left out included
    problems: list[RowProblem] = field(default_factory=list)
    existing: KnownOrder | None = None

    @property
    def is_ready(self) -> bool:
        return self.existing is None and not self.problems

    @property
    def problems_by_row(self) -> list[RowProblem]:
        return sorted(self.problems, key=_place)

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    def draft(self) -> OrderDraft:
        mode = _choice(self.get("fulfilment_mode"))
        customer = CustomerDetails(
            self.get("customer_name"), self.get("email") or None, self.get("phone") or None
        )
        address = None
        if mode != FulfilmentMode.PICKUP and any(
            self.get(c) for c in ("address_line1", "city", "postal_code")
        ):
            address = normalise_address(
                Address(
                    self.get("address_line1"), self.get("city"), self.get("postal_code"), self.get("country")
                )
            )
        return OrderDraft(
            customer=normalise_customer(customer),
            lines=self.lines,
            fulfilment_mode=mode,
            payment_method=_choice(self.get("payment_method")),
            channel=Channel.MARKETPLACE,
            address=address,
            location=self.get("location") or None,
            notes=self.get("notes"),
            external_ref=self.external_ref,
        )

    def problem(self, path: str, code: str) -> RowProblem:
        """The order rules' ``path`` → ``code`` placed at its row and column of the file."""
        if match := LINE_FIELD.match(path):
            return RowProblem(self.line_rows[int(match[1])], match[2], code)
        column = COLUMN_OF.get(path, "external_ref")
        return RowProblem(self.origin.get(column, self.rows[0]), column, code)

    def row_of_sku(self, sku: str) -> int:
        return next(
            (row for line, row in zip(self.lines, self.line_rows, strict=True) if line.sku == sku),
            self.rows[0],
        )


@dataclass
class Preview:
    orders: list[ImportedOrder] = field(default_factory=list)
    stray: list[RowProblem] = field(default_factory=list)  # rows that name no order
    file_problem: str | None = None  # the whole file is unusable (size, encoding, columns)
    columns: list[str] = field(default_factory=list)  # the columns the file problem names
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def ready(self) -> list[ImportedOrder]:
        return [order for order in self.orders if order.is_ready]

    @property
    def already_imported(self) -> list[ImportedOrder]:
        return [order for order in self.orders if order.existing is not None]

    @property
    def problems(self) -> list[RowProblem]:
        found = [p for order in self.orders if order.existing is None for p in order.problems]
        return sorted(self.stray + found, key=_place)


def _place(problem: RowProblem) -> tuple[int, int]:
    return problem.row, COLUMNS.index(problem.column)


def _choice(raw: str) -> str:
    """Exports write "Bank transfer" where the rules say ``bank_transfer``."""
    return "_".join(raw.lower().split())


def _column_name(raw: str) -> str:
    return "_".join(raw.strip().lower().replace("-", " ").split())


def _quantity(text: str) -> int | None:
    """A whole number, or None. Digits past any sane quantity are not read: the rules refuse it."""
    match = WHOLE_NUMBER.match(text)
    if match is None:
        return None
    sign, digits = match.groups()
    value = int(digits) if len(digits) <= 18 else 10**18
    return -value if sign == "-" else value


def _comparable(column: str, value: str) -> str:
    if column == "phone":
        return drafts.normalise_phone(value)
    return " ".join(value.casefold().split())


def read(content: bytes) -> Preview:
    """Every order of the file with the problems the rules find; never raises on a bad file."""
    preview = Preview()
    if len(content) > MAX_BYTES:
        preview.file_problem = "csv_too_large"
        return preview
    try:
        reader = csv_reading.dict_reader(csv_reading.decode(content))
        header = [_column_name(name) for name in reader.fieldnames or []]
    except (ValueError, csv.Error) as exc:
        preview.file_problem = str(exc) if str(exc).startswith("csv_") else "csv_unreadable"
        return preview
    if not _header_usable(header, preview):
        return preview
    reader.fieldnames = header
    _read_rows(reader, preview)
    if not preview.file_problem and not preview.orders and not preview.stray:
        preview.file_problem = "csv_empty"
    for order in preview.orders:
        order.problems += _rule_problems(order)
    return preview


def _header_usable(header: list[str], preview: Preview) -> bool:
    if not any(header):
        preview.file_problem = "csv_empty"
    elif missing := [column for column in REQUIRED if column not in header]:
        preview.file_problem, preview.columns = "csv_missing_columns", missing
    elif twice := sorted({name for name in header if name and header.count(name) > 1}):
        preview.file_problem, preview.columns = "csv_duplicate_columns", twice
    preview.unknown_columns = [name for name in header if name and name not in COLUMNS]
    return preview.file_problem is None


def _read_rows(reader: csv.DictReader[str], preview: Preview) -> None:
    orders: dict[str, ImportedOrder] = {}
    count = 0
    try:
        for row, raw in enumerate(reader, start=2):
            cells = {name: value.strip() for name, value in raw.items() if name and isinstance(value, str)}
            if not any(cells.values()):
                continue  # blank lines are common at the end of exported sheets
            count += 1
            if count > MAX_ROWS:
                preview.file_problem = "csv_too_many_rows"
                return
            _add_row(orders, row, cells, preview)
    except csv.Error:
        preview.file_problem = "csv_unreadable"
        return
    preview.orders = list(orders.values())


def _add_row(orders: dict[str, ImportedOrder], row: int, cells: dict[str, str], preview: Preview) -> None:
    reference = cells.get("external_ref", "")
    if not reference:
        preview.stray.append(RowProblem(row, "external_ref", "csv_required"))
        return
    order = orders.setdefault(reference, ImportedOrder(reference))
    order.rows.append(row)
    _take_order_values(order, row, cells)
    _take_line(order, row, cells)


def _take_order_values(order: ImportedOrder, row: int, cells: dict[str, str]) -> None:
    for column in ORDER_COLUMNS:
        value = cells.get(column, "")
        if not value:
            continue  # exports often give the customer on an order's first row only
        if column not in order.values:
            order.values[column], order.origin[column] = value, row
        elif _comparable(column, value) != _comparable(column, order.values[column]):
            order.problems.append(RowProblem(row, column, "csv_differs"))


def _take_line(order: ImportedOrder, row: int, cells: dict[str, str]) -> None:
    """A line with a usable quantity joins the order; otherwise its row says why it did not."""
    sku, raw = normalise_sku(cells.get("sku", "")), cells.get("quantity", "")
    order.skus.append((row, sku))
    quantity = _quantity(raw)
    if quantity is not None:
        order.lines.append(WantedLine(sku, quantity))
        order.line_rows.append(row)
        return
    if not sku:
        order.problems.append(RowProblem(row, "sku", "sku_required"))
    order.problems.append(RowProblem(row, "quantity", "quantity_not_whole" if raw else "csv_required"))


def _rule_problems(order: ImportedOrder) -> list[RowProblem]:
    problems = draft_problems(order.draft())
    if not order.lines:
        problems.pop("lines", None)  # each of its rows already says why its line was left out
    return [order.problem(path, code) for path, code in problems.items()]


def check_against(
    preview: Preview,
    for_sale: Collection[str],
    location_codes: Collection[str],
    imported: Mapping[str, KnownOrder],
) -> None:
    """Add what the database knows: SKUs not for sale, unknown locations, orders already there."""
    for order in preview.orders:
        order.existing = imported.get(order.external_ref)
        for row, sku in order.skus:
            if sku and sku not in for_sale:
                order.problems.append(RowProblem(row, "sku", "sku_unknown"))
        location = order.get("location")
        if location and location not in location_codes:
            order.problems.append(RowProblem(order.origin["location"], "location", "location_unknown"))
