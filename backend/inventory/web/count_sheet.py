"""The cycle count sheet: what the counter was shown, what they typed, and what must be recounted.

The sheet travels in the form (product ids, expected and counted quantities) from the counting
screen to the review and on to the confirmation, so nothing is stored until the count is applied;
the expected figures are what the counter saw, which is how a count made stale by a sale is caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.datastructures import FormMultiDict
from sqlalchemy.ext.asyncio import AsyncSession

from backend.inventory import levels
from backend.inventory.levels import LevelView
from backend.inventory.service import Count
from backend.inventory.web.forms import Typed, location_chosen, message, parse_whole, text
from backend.web import inputs
from backend.web.responses import FormErrors


@dataclass
class CountRow:
    level: LevelView  # names and what is reserved now
    expected: int  # on hand when the counter was shown the row
    counted_raw: str = ""
    counted: int | None = None
    error: str | None = None
    stale: bool = False

    @property
    def difference(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


@dataclass
class CountSheet:
    location_id: int
    rows: list[CountRow]
    errors: FormErrors = field(default_factory=FormErrors)
    extra: Typed = field(default_factory=Typed)

    def counts(self) -> list[Count]:
        return [Count(r.level.product_id, r.expected, r.counted) for r in self.rows if r.counted is not None]

    def mark_stale(self, current: list[LevelView]) -> None:
        """Show the moved products with their new figures, to be counted again."""
        fresh = {level.product_id: level for level in current}
        for row in self.rows:
            if row.level.product_id in fresh:
                row.level = fresh[row.level.product_id]
                row.expected, row.counted_raw, row.counted, row.stale = row.level.on_hand, "", None, True


def blank_sheet(location_id: int, found: list[LevelView]) -> CountSheet:
    return CountSheet(location_id, [CountRow(level, level.on_hand) for level in found])


def _check(row: CountRow) -> None:
    if not row.counted_raw:
        return
    row.counted, problem = parse_whole(row.counted_raw, allow_zero=True)
    if problem:
        row.error = message(problem)
    elif row.counted is not None and row.counted < row.level.reserved:
        row.error = message("counted_below_reserved", reserved=row.level.reserved)


def _posted_ids(form: FormMultiDict) -> list[int]:
    raw = [value for value in form.getall("product") if isinstance(value, str)]
    ids = [found for value in raw if (found := inputs.parse_id(value)) is not None]
    return list(dict.fromkeys(ids))[: levels.SHEET_LIMIT]


async def _extra_row(session: AsyncSession, sheet: CountSheet, known: set[int]) -> None:
    """A product the sheet did not list (nothing recorded here yet), named by SKU or barcode."""
    code = sheet.extra.get("extra_product")
    if not code:
        return
    product = await levels.find_product(session, code)
    if product is None:
        sheet.errors.add("extra_product", message("unknown_product"))
        return
    if product.id in known:
        return
    level = await levels.level_of(session, product.id, sheet.location_id)
    sheet.rows.append(CountRow(level, level.on_hand, sheet.extra.get("extra_counted")))
    sheet.extra = Typed()


async def read_sheet(session: AsyncSession, form: FormMultiDict) -> CountSheet | None:
    """The posted sheet, each row checked; None when no valid location was posted."""
    errors = FormErrors()
    location_id = await location_chosen(session, Typed.read(form, ("location",)), "location", errors)
    if location_id is None:
        return None
    ids = _posted_ids(form)
    current = {level.product_id: level for level in await levels.levels_at(session, location_id, ids)}
    sheet = CountSheet(location_id, [], errors, Typed.read(form, ("extra_product", "extra_counted")))
    for product_id in ids:
        expected, problem = parse_whole(text(form, f"expected_{product_id}"), allow_zero=True)
        if problem or expected is None or product_id not in current:
            sheet.errors.general[:] = [message("form_out_of_date")]  # once, however many rows are off
            continue
        sheet.rows.append(CountRow(current[product_id], expected, text(form, f"counted_{product_id}", 20)))
    await _extra_row(session, sheet, set(ids))
    for row in sheet.rows:
        _check(row)
    if not sheet.errors and not any(row.counted_raw for row in sheet.rows):
        sheet.errors.add(None, message("nothing_counted"))
    return sheet


def is_clean(sheet: CountSheet) -> bool:
    return not sheet.errors and not any(row.error for row in sheet.rows)


def only_counted(sheet: CountSheet) -> CountSheet:
    """The review shows what was counted; rows left blank are not part of this count."""
    sheet.rows = [row for row in sheet.rows if row.counted_raw]
    return sheet
