"""Where a catalog page's time goes, and what candidate fixes would save: run after the load test.

In this process, on the benchmark's database, through the app's own ``Database`` (aiosqlite, the
server's pool settings) and Jinja environment, it prints:

* ``plan`` lines: SQLite's EXPLAIN QUERY PLAN for the statement ``catalog.service`` builds;
* ``db_ms`` lines: the page's three queries (products, stock, categories), median ms per page view;
* a ``render_ms`` line: the 50 rows of the list rendered by the app's templates.

Then the same with candidate fixes (``"code": "prototype…"``), applied to this database and this
process only, never to the app's code: an FTS5 trigram table for name search with the exact SKU
and barcode lookups as indexed branches of a UNION, the keyset condition as a row value, an index
on (category_id, name, id), one lean query for the first page, prices formatted once per amount.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from catalog_data import SEARCH_WORD
from sqlalchemy import Select, column, func, select, table, tuple_, union
from sqlalchemy.dialects import sqlite

import backend.models  # noqa: F401 - maps every table
from backend.catalog import service
from backend.catalog.models import Category, Product
from backend.catalog.service import ProductQuery
from backend.db import Database
from backend.i18n import current_locale
from backend.inventory.models import StockLevel
from backend.inventory.queries import available_by_product
from backend.money import format_money
from backend.templating import environment, render

ROUNDS = 30  # timed page views per case, after as many untimed ones
PROTOTYPE_SCHEMA = (
    "CREATE VIRTUAL TABLE products_fts USING fts5(name, content='products', content_rowid='id', "
    "tokenize='trigram')",
    "INSERT INTO products_fts(products_fts) VALUES ('rebuild')",
    "CREATE INDEX ix_products_category_name_id ON products (category_id, name, id)",
)
FTS = table("products_fts", column("rowid"), column("products_fts"))


def emit(**fields: object) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def cases(cursor: str, code: str) -> dict[str, ProductQuery]:
    after_name, after_id = service.decode_cursor(cursor)
    return {
        "catalog_first": ProductQuery(),
        "catalog_deep": ProductQuery(after_name=after_name, after_id=after_id),
        "catalog_search": ProductQuery(text=SEARCH_WORD),
        "catalog_code": ProductQuery(text=code),
        "catalog_category": ProductQuery(category_id=3),
        # How the cost of a search depends on where its matches sit: a name's first word clusters
        # them in name order (a scan must first pass everything before "Yaourt"), and a word in
        # every name leaves a trigram index nothing to skip while the name order finds 50 at once.
        "search_clustered": ProductQuery(text="yaourt"),
        "search_everywhere": ProductQuery(text="maison"),
    }


def prototype_filtered(query: ProductQuery) -> Select[Any]:
    """``service._filtered`` with the search and keyset fixes (the category fix is an index)."""
    statement = select(Product, Category.name).outerjoin(Category, Category.id == Product.category_id)
    if not query.include_archived:
        statement = statement.where(Product.active.is_(True))
    if query.category_id is not None:
        statement = statement.where(Product.category_id == query.category_id)
    if text := query.text.strip():
        # Each branch is indexed: a quoted phrase matches the trigrams of a substring, case aside.
        # (A real version keeps the LIKE scan below three characters, which trigrams cannot index.)
        phrase = '"' + text.replace('"', '""') + '"'
        matches = union(
            select(FTS.c.rowid).where(FTS.c.products_fts.match(phrase)),
            select(Product.id).where(Product.sku == text.upper()),
            select(Product.id).where(Product.barcode == text),
        )
        statement = statement.where(Product.id.in_(matches))
    if query.after_name is not None and query.after_id is not None:
        # A row value lets SQLite (and PostgreSQL) seek in the (name, id) index; the OR form scans.
        statement = statement.where(
            tuple_(Product.name, Product.id) > tuple_(query.after_name, query.after_id)
        )
    return statement.order_by(Product.name, Product.id).limit(query.limit + 1)


def plans(database: Path, queries: dict[str, ProductQuery], label: str) -> None:
    with sqlite3.connect(database) as connection:
        for name, query in queries.items():
            compiled = service._filtered(query).compile(dialect=sqlite.dialect())
            params = [compiled.params[key] for key in compiled.positiontup or ()]
            steps = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {compiled}", params)]
            emit(plan=name, code=label, steps=steps)


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    """Median milliseconds of ``action``, after warming the caches the server would have warm."""
    for _ in range(ROUNDS):
        await action()
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1000, 2)


async def page_queries(db: Database, query: ProductQuery) -> dict[str, float]:
    """The catalog route's database work for one page view, split by query. Each query gets its own
    read session here; the route shares one, so the total overstates it by a little."""
    async with db.read() as session:
        listing = await service.list_products(session, query)
    ids = [item.id for item in listing.items]

    async def products() -> None:
        async with db.read() as session:
            await service.list_products(session, query)

    async def stock() -> None:
        async with db.read() as session:
            await available_by_product(session, ids)

    async def categories() -> None:
        async with db.read() as session:
            await service.list_categories(session)

    parts = {"products": await timed(products), "stock": await timed(stock)}
    parts["categories"] = await timed(categories)
    return parts | {"total": round(sum(parts.values()), 2)}


async def lean_first_page(db: Database) -> float:
    """The first page's data in one query of plain rows: only the columns the list shows, stock as
    a correlated subquery, no ORM objects; categories would come from an in-process cache."""
    available = (
        select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved), 0))
        .where(StockLevel.product_id == Product.id)
        .scalar_subquery()
    )
    shown = (Product.id, Product.sku, Product.name, Product.price_minor, Product.currency, Product.active)
    statement = (
        select(*shown, Category.name.label("category"), available.label("available"))
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.active.is_(True))
        .order_by(Product.name, Product.id)
        .limit(51)
    )

    async def page() -> None:
        async with db.read() as session:
            (await session.execute(statement)).all()

    return await timed(page)


async def render_rows(db: Database) -> dict[str, float]:
    """The 50 rows as the app renders them, and with prices formatted once per amount."""
    async with db.read() as session:
        listing = await service.list_products(session, ProductQuery())
        stock = await available_by_product(session, [item.id for item in listing.items])
    context = {"listing": listing, "stock": stock, "q": "", "category": None, "archived": False}

    async def rows() -> None:
        render("catalog/_rows.html", **context, more_only=False)

    filters = environment().filters
    current = await timed(rows)
    cached = functools.lru_cache(maxsize=4096)(format_money)

    def money(minor: int, currency: str) -> str:
        return cached(minor, currency, current_locale.get())

    original, filters["money"] = filters["money"], money
    try:
        return {"current": current, "prototype_money_cache": await timed(rows)}
    finally:
        filters["money"] = original


async def measure(database: Path, queries: dict[str, ProductQuery], label: str) -> None:
    db = Database(f"sqlite+aiosqlite:///{database}")
    try:
        for name, query in queries.items():
            emit(db_ms=name, code=label, **await page_queries(db, query))
        if label == "current":
            emit(db_ms="catalog_first", code="prototype_one_query", total=await lean_first_page(db))
            emit(render_ms="catalog_rows_50", **await render_rows(db))
    finally:
        await db.dispose()


def report(database: Path, cursor: str, code: str) -> None:
    queries = cases(cursor, code)
    plans(database, queries, "current")
    asyncio.run(measure(database, queries, "current"))
    with sqlite3.connect(database) as connection:
        for statement in PROTOTYPE_SCHEMA:
            connection.execute(statement)
    original, service._filtered = service._filtered, prototype_filtered
    try:
        plans(database, queries, "prototype")
        asyncio.run(measure(database, queries, "prototype"))
    finally:
        service._filtered = original
