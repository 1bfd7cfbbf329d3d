"""Where a catalog page's time goes: run after the load test, on the benchmark's database.

In this process, through the app's own ``Database`` (aiosqlite, the server's pool settings) and
Jinja environment, it prints:

* ``plan`` lines: SQLite's EXPLAIN QUERY PLAN of each statement ``catalog.listing`` runs for a page
  (captured as it runs them, so the plan is the one the server gets);
* ``db_ms`` lines: the page's database work, median ms per page view (the list, stock included, in
  one query; a search may first ask the trigram index how common its term is; the categories come
  from the in-memory cache);
* a ``render_ms`` line: the 50 rows of the list rendered by the app's templates.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from catalog_data import SEARCH_WORD
from sqlalchemy import event

import backend.models  # noqa: F401 - maps every table
from backend.catalog import listing
from backend.catalog.categories import CategoryCache
from backend.catalog.listing import ProductQuery
from backend.kernel.db import Database
from backend.web.templating import environment, render

ROUNDS = 30  # timed page views per case, after as many untimed ones


def emit(**fields: object) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def cases(cursor: str, code: str) -> dict[str, ProductQuery]:
    after_name, after_id = listing.decode_cursor(cursor)
    return {
        "catalog_first": ProductQuery(with_stock=True),
        "catalog_deep": ProductQuery(after_name=after_name, after_id=after_id, with_stock=True),
        "catalog_search": ProductQuery(text=SEARCH_WORD, with_stock=True),
        "catalog_code": ProductQuery(text=code, with_stock=True),
        "catalog_category": ProductQuery(category_id=3, with_stock=True),
        # How the cost of a search depends on where its matches sit: a name's first word clusters
        # them in name order, a word in every name leaves a trigram index nothing to skip (the list
        # then walks the name order), and a two-letter term cannot use trigrams at all.
        "search_clustered": ProductQuery(text="yaourt", with_stock=True),
        "search_everywhere": ProductQuery(text="maison", with_stock=True),
        "search_short": ProductQuery(text="zq", with_stock=True),
    }


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


async def statements(db: Database, query: ProductQuery) -> list[tuple[str, Any]]:
    """The SQL a page view runs, with its parameters, as the driver receives them."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: object, _cursor: object, sql: str, params: Any, _context: object, _many: bool) -> None:
        seen.append((sql, params))

    event.listen(db.read_engine.sync_engine, "before_cursor_execute", keep)
    try:
        async with db.read() as session:
            await listing.list_products(session, query)
    finally:
        event.remove(db.read_engine.sync_engine, "before_cursor_execute", keep)
    return seen


def plans(database: Path, name: str, executed: list[tuple[str, Any]]) -> None:
    with sqlite3.connect(database) as connection:
        for sql, params in executed:
            steps = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            emit(plan=name, steps=steps)


async def page_view(db: Database, categories: CategoryCache, query: ProductQuery) -> dict[str, float]:
    async def products() -> None:
        async with db.read() as session:
            await listing.list_products(session, query)

    async def category_list() -> None:
        async with db.read() as session:
            await categories.all(session)

    parts = {"products": await timed(products), "categories": await timed(category_list)}
    return parts | {"total": round(sum(parts.values()), 2)}


async def render_rows(db: Database) -> float:
    async with db.read() as session:
        page = await listing.list_products(session, ProductQuery(with_stock=True))
    context = {"listing": page, "stock": page.available, "q": "", "category": None, "archived": False}

    templates = environment()

    async def rows() -> None:
        render(templates, "catalog/_rows.html", **context, more_only=False)

    return await timed(rows)


async def measure(database: Path, queries: dict[str, ProductQuery]) -> None:
    db = Database(f"sqlite+aiosqlite:///{database}")
    categories = CategoryCache()
    try:
        for name, query in queries.items():
            plans(database, name, await statements(db, query))
            emit(db_ms=name, **await page_view(db, categories, query))
        emit(render_ms="catalog_rows_50", current=await render_rows(db))
    finally:
        await db.dispose()


def report(database: Path, cursor: str, code: str) -> None:
    asyncio.run(measure(database, cases(cursor, code)))
