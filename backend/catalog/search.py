"""How a catalog search term narrows the list, fast at 100,000 products.

A product matches a term when its name contains it (case aside, as ILIKE compares) or its SKU or
barcode equals it. The name part has a trigram index (migration 0004): FTS5 on SQLite, pg_trgm on
PostgreSQL. Trigrams cannot help below three characters, nor when the term is in a large share of
the names (the index would hand back most of the catalog to sort, while walking the names in order
finds a page at once); then the list walks the name order instead, a bounded window per page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, column, func, literal_column, or_, select, table, union
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Product

MIN_TRIGRAM_TERM = 3
# Past this many trigram matches, walking the name order beats sorting the matches.
DENSE_MATCHES = 2000
# Rows of the name order one page of a walk may look at; fewer matches there make a shorter page
# that still offers "Show more", so a rare short term never scans the whole catalog at once.
WALK_WINDOW = 5000

NAME_SEARCH = table("products_name_search", column("rowid"), column("products_name_search"))


@dataclass(frozen=True)
class Search:
    """A cleaned term and how to find it: ``walk`` (name order, bounded) or through the index."""

    term: str
    walk: bool

    @property
    def like(self) -> str:
        return f"%{self.term}%"

    def matches(self) -> ColumnElement[bool]:
        """What a match is, checked row by row."""
        return or_(
            Product.name.ilike(self.like), Product.sku == self.term.upper(), Product.barcode == self.term
        )

    def matches_walking(self) -> ColumnElement[bool]:
        """The same, cheaper per row: the exact lookups run once, through their indexes."""
        exact = union(
            select(Product.id).where(Product.sku == self.term.upper()),
            select(Product.id).where(Product.barcode == self.term),
        )
        return or_(Product.name.ilike(self.like), Product.id.in_(exact))


def clean(text: str) -> str:
    """The term as searched: LIKE's wildcards are not for people to type."""
    return text.strip().replace("%", "").replace("_", "")


def _phrase(term: str) -> str:
    """An FTS5 phrase: with the trigram tokenizer it matches names containing ``term``."""
    return '"' + term.replace('"', '""') + '"'


async def _is_dense(session: AsyncSession, term: str) -> bool:
    """Whether at least DENSE_MATCHES names contain the term (counting stops there)."""
    if session.bind.dialect.name != "sqlite":
        return False  # PostgreSQL's planner weighs index against walk from its statistics
    found = (
        select(literal_column("1"))
        .select_from(NAME_SEARCH)
        .where(NAME_SEARCH.c.products_name_search.match(_phrase(term)))
        .limit(DENSE_MATCHES)
        .subquery()
    )
    return await session.scalar(select(func.count()).select_from(found)) >= DENSE_MATCHES


async def plan(session: AsyncSession, text: str) -> Search | None:
    """How to search for ``text``; None when there is nothing to search for."""
    term = clean(text)
    if not term:
        return None
    walk = len(term) < MIN_TRIGRAM_TERM or await _is_dense(session, term)
    return Search(term, walk)


def condition(session: AsyncSession, search: Search) -> ColumnElement[bool]:
    """The WHERE clause for the list. On PostgreSQL the GIN index serves ILIKE itself. On SQLite the
    FTS5 table gives an indexed superset (it folds case beyond ASCII, which LIKE does not), and
    ``matches()`` still decides, so both engines and both ways of searching agree."""
    if search.walk:
        return search.matches_walking()
    if session.bind.dialect.name != "sqlite":
        return search.matches()
    found = union(
        select(NAME_SEARCH.c.rowid).where(NAME_SEARCH.c.products_name_search.match(_phrase(search.term))),
        select(Product.id).where(Product.sku == search.term.upper()),
        select(Product.id).where(Product.barcode == search.term),
    )
    return and_(Product.id.in_(found), search.matches())
