"""How a catalog search term narrows the list, fast at 100,000 products.

A product matches a term when its name contains it (case aside, as ILIKE compares) or its SKU or
barcode equals it. The name part has a trigram index (migration 0004): FTS5 on SQLite, pg_trgm on
PostgreSQL. Trigrams cannot help below three characters: such a term walks the name order, a
bounded window per page. Nor do they help much when the term is in a large share of the names: the
index hands back most of the catalog to sort, while walking the name order finds a page at once;
so a common term walks its first window and turns to the index only when the matches lie further
on (a word that starts many names clusters them there).

SQLite counts a term's matches in its FTS5 table, stopping at COMMON_MATCHES. PostgreSQL cannot
count them as cheaply (a GIN scan reads every match before a limit applies): there a term looks at
the first PROBE_WINDOW entries of the name order, which fill a page when it is in many names, and
otherwise takes the trigram index (see ``listing._fetch_matches``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, column, func, literal_column, or_, select, table, union
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Product

MIN_TRIGRAM_TERM = 3
# From this many trigram matches on, walking the name order usually beats sorting the matches.
COMMON_MATCHES = 2000
# Rows of the name order one page of a walk may look at; fewer matches there make a shorter page
# that still offers "Show more", so a rare short term never scans the whole catalog at once.
WALK_WINDOW = 5000
# PostgreSQL: with a page in these many entries a term is in over 5 % of the names, where sorting
# all its matches costs more than walking (100,000 products: 74 ms for a word in every name).
PROBE_WINDOW = 1000

NAME_SEARCH = table("products_name_search", column("rowid"), column("products_name_search"))


@dataclass(frozen=True)
class Search:
    """A cleaned term and what is known of it: too short for trigrams, or in many names."""

    term: str
    short: bool
    common: bool

    @property
    def walk_first(self) -> bool:
        return self.short or self.common

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


async def _is_common(session: AsyncSession, term: str) -> bool:
    """Whether at least COMMON_MATCHES names contain the term (counting stops there)."""
    if session.bind.dialect.name != "sqlite":
        return False  # not counted there: see the module's note
    found = (
        select(literal_column("1"))
        .select_from(NAME_SEARCH)
        .where(NAME_SEARCH.c.products_name_search.match(_phrase(term)))
        .limit(COMMON_MATCHES)
        .subquery()
    )
    return await session.scalar(select(func.count()).select_from(found)) >= COMMON_MATCHES


async def plan(session: AsyncSession, text: str) -> Search | None:
    """How to search for ``text``; None when there is nothing to search for."""
    term = clean(text)
    if not term:
        return None
    if len(term) < MIN_TRIGRAM_TERM:
        return Search(term, short=True, common=False)
    return Search(term, short=False, common=await _is_common(session, term))


def indexed(session: AsyncSession, search: Search) -> ColumnElement[bool]:
    """The matches through the indexes. On PostgreSQL the GIN index serves ILIKE itself (and
    ``listing._gathered`` makes sure it is used). On SQLite the FTS5 table gives a superset (it
    folds case beyond ASCII, which LIKE does not), and ``matches()`` still decides, so both engines
    and both ways of searching agree."""
    if session.bind.dialect.name != "sqlite":
        return search.matches()
    found = union(
        select(NAME_SEARCH.c.rowid).where(NAME_SEARCH.c.products_name_search.match(_phrase(search.term))),
        select(Product.id).where(Product.sku == search.term.upper()),
        select(Product.id).where(Product.barcode == search.term),
    )
    return and_(Product.id.in_(found), search.matches())
