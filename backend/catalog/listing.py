"""The catalog list: one query per page, in (name, id) order, with a keyset cursor.

The page's rows are picked first (an index walk, or the search's matches sorted), then joined with
what each row shows: the category's name and, for the pages, the stock free to sell. Done the other
way round, the join and the stock sum would run for every match before the sort kept 50.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, Select, Subquery, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog import search
from backend.catalog.models import Category, Product
from backend.catalog.service import ProductView
from backend.web import inputs

PAGE_SIZE = 50


@dataclass(frozen=True)
class ProductQuery:
    text: str = ""
    category_id: int | None = None
    include_archived: bool = False
    after_name: str | None = None  # keyset cursor: the last row of the previous page
    after_id: int | None = None
    limit: int = PAGE_SIZE
    # The pages show units available, the API does not. Stock is inventory's, which sits above the
    # catalog: the page passes its column (``inventory.levels.free_units``), a scalar subquery of
    # the product's id, so that the figure still comes in the page's one statement.
    stock: Callable[[ColumnElement[int]], ColumnElement[int]] | None = None


@dataclass(frozen=True)
class ProductPage:
    items: list[ProductView]
    next_cursor: str | None
    available: dict[int, int]  # units free to sell per product, when asked for


def encode_cursor(product_id: int, name: str) -> str:
    return f"{product_id}:{name}"


def decode_cursor(cursor: str | None) -> tuple[str | None, int | None]:
    if not cursor:
        return None, None
    raw_id, _, name = cursor.partition(":")
    if (after_id := inputs.parse_id(raw_id)) is None:
        raise ValueError("cursor_invalid")
    return name, after_id


def _after(query: ProductQuery) -> ColumnElement[bool] | None:
    if query.after_name is None or query.after_id is None:
        return None
    # A row value: both engines seek to it in the (name, id) index; the OR spelling scans.
    return tuple_(Product.name, Product.id) > tuple_(query.after_name, query.after_id)


def _scope(query: ProductQuery) -> list[ColumnElement[bool]]:
    """The conditions every page of this listing shares, search aside."""
    conditions: list[ColumnElement[bool]] = []
    if not query.include_archived:
        conditions.append(Product.active.is_(True))
    if query.category_id is not None:
        conditions.append(Product.category_id == query.category_id)
    if (after := _after(query)) is not None:
        conditions.append(after)
    return conditions


async def _window_end(session: AsyncSession, query: ProductQuery) -> tuple[str, int] | None:
    """Where a walk stops for this page: WALK_WINDOW index entries on (None: the catalog ends)."""
    statement = select(Product.name, Product.id)  # only indexed columns: an index-only scan
    if query.category_id is not None:
        statement = statement.where(Product.category_id == query.category_id)
    if (after := _after(query)) is not None:
        statement = statement.where(after)
    statement = statement.order_by(Product.name, Product.id).offset(search.WALK_WINDOW - 1).limit(1)
    row = (await session.execute(statement)).first()
    return (row.name, row.id) if row else None


def _page_of(query: ProductQuery, conditions: list[ColumnElement[bool]]) -> Subquery:
    return (
        select(Product.id, Product.name)
        .where(*conditions)
        .order_by(Product.name, Product.id)
        .limit(query.limit + 1)
        .subquery("page")
    )


# What a ``ProductView`` is made of, in its order; the statement must join ``Category``.
VIEW_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.description,
    Product.price_minor,
    Product.currency,
    Product.tax_rate_centi,
    Category.name,
    Product.barcode,
    Product.active,
    Product.allow_backorder,
    Product.photo.is_not(None),
    Product.version,
)


def _page_statement(query: ProductQuery, page: Subquery) -> Select[tuple[object, ...]]:
    """What the page's rows (``page``: their id and name) show."""
    stock = (query.stock(Product.id),) if query.stock is not None else ()
    return (
        select(*VIEW_COLUMNS, *stock)
        .select_from(page)
        .join(Product, Product.id == page.c.id)
        .outerjoin(Category, Category.id == Product.category_id)
        .order_by(page.c.name, page.c.id)
    )


async def _fetch(
    session: AsyncSession, query: ProductQuery, conditions: list[ColumnElement[bool]]
) -> list[Row[tuple[object, ...]]]:
    return list((await session.execute(_page_statement(query, _page_of(query, conditions)))).all())


async def _fetch_matches(
    session: AsyncSession, query: ProductQuery, conditions: list[ColumnElement[bool]], wanted: search.Search
) -> list[Row[tuple[object, ...]]]:
    """The page from the search's matches found through the indexes."""
    if session.bind.dialect.name == "sqlite":
        return await _fetch(session, query, [*conditions, search.indexed(session, wanted)])
    rows = await _probe(session, query, conditions, wanted)
    if len(rows) > query.limit:
        return rows
    return await _gathered(session, query, conditions, wanted)


async def _probe(
    session: AsyncSession, query: ProductQuery, conditions: list[ColumnElement[bool]], wanted: search.Search
) -> list[Row[tuple[object, ...]]]:
    """The matches among the first PROBE_WINDOW entries of the name order: a page when the term is
    in many names, found at once, where gathering all the matches to sort would be slow."""
    window = (
        select(Product.id, Product.name, wanted.matches().label("hit"))
        .where(*conditions)
        .order_by(Product.name, Product.id)
        .limit(search.PROBE_WINDOW)
        .subquery("window")
    )
    page = (
        select(window.c.id, window.c.name)
        .where(window.c.hit)
        .order_by(window.c.name, window.c.id)
        .limit(query.limit + 1)
        .subquery("page")
    )
    return list((await session.execute(_page_statement(query, page))).all())


async def _gathered(
    session: AsyncSession, query: ProductQuery, conditions: list[ColumnElement[bool]], wanted: search.Search
) -> list[Row[tuple[object, ...]]]:
    """Every match through the trigram index (and the SKU and barcode ones), sorted for the page.

    Left to itself PostgreSQL's planner walks the name order until a page is found, guessing the
    matches spread evenly: when they cluster late in the alphabet that walk reads nearly the whole
    catalog (90–490 ms with 100,000 products). The matches are therefore gathered in a
    materialized CTE, which the walk cannot enter, with sequential scans off for this statement:
    for a term in a few percent of the names the planner would scan the table (60 ms; the index 8).
    """
    matched = (
        select(Product.id, Product.name)
        .where(*conditions, wanted.matches())
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    page = (
        select(matched.c.id, matched.c.name)
        .order_by(matched.c.name, matched.c.id)
        .limit(query.limit + 1)
        .subquery("page")
    )
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    rows = list((await session.execute(_page_statement(query, page))).all())
    await session.execute(text("RESET enable_seqscan"))  # the session's later reads plan as usual
    return rows


async def _walk(
    session: AsyncSession, query: ProductQuery, conditions: list[ColumnElement[bool]], wanted: search.Search
) -> tuple[list[Row[tuple[object, ...]]], tuple[str, int] | None]:
    """The matches within one window of the name order, and where the window ends."""
    bounded = [*conditions, wanted.matches_walking()]
    if (end := await _window_end(session, query)) is not None:
        bounded.append(tuple_(Product.name, Product.id) <= tuple_(*end))
    return await _fetch(session, query, bounded), end


async def _rows(
    session: AsyncSession, query: ProductQuery
) -> tuple[list[Row[tuple[object, ...]]], tuple[str, int] | None]:
    """The page's rows (one more than asked, if there are), and where a walk stopped short."""
    conditions = _scope(query)
    wanted = await search.plan(session, query.text)
    if wanted is None:
        return await _fetch(session, query, conditions), None
    if wanted.walk_first:
        rows, end = await _walk(session, query, conditions, wanted)
        if wanted.short or len(rows) > query.limit or end is None:
            return rows, end
        # A common term whose matches lie further on in the name order: the index finds them.
    return await _fetch_matches(session, query, conditions, wanted), None


async def list_products(session: AsyncSession, query: ProductQuery) -> ProductPage:
    rows, end = await _rows(session, query)
    fields = len(ProductView.__dataclass_fields__)
    items = [ProductView(*row[:fields]) for row in rows[: query.limit]]
    available = {row[0]: int(row[fields]) for row in rows} if query.stock is not None else {}
    if len(rows) > query.limit:
        cursor = encode_cursor(items[-1].id, items[-1].name)
    else:  # a walk that ran out of window before the page filled goes on from where it stopped
        cursor = encode_cursor(end[1], end[0]) if end is not None else None
    return ProductPage(items, cursor, available)
