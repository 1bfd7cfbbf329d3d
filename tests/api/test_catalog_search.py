"""Searching and paging the catalog list: through the trigram index, by exact code, by walking the
name order; every way pages through the same matches, none twice and none left out."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import text

from backend.auth.rules import Role
from backend.catalog import listing, search, service
from backend.catalog.categories import CategoryCache, CategoryItem
from backend.catalog.listing import ProductQuery
from backend.catalog.rules import ProductInput
from backend.kernel.events import Event
from tests.api.conftest import Harness
from tests.writing import run_sql

FRUITS = ("Apricot", "Blackberry", "Cherry", "Damson", "Elderberry", "Fig", "Gooseberry", "Plum")
KINDS = ("jam", "jelly", "syrup")


def gtin(body: str) -> str:
    """``body`` with the check digit a barcode reader expects."""
    weighted = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - weighted % 10) % 10)


async def _add(harness: Harness, sku: str, name: str, **fields: object) -> service.ProductView:
    wanted = ProductInput(sku=sku, name=name, price_minor=450, currency="EUR", **fields)  # type: ignore[arg-type]
    return await service.create_product(harness.db, None, wanted)


async def _shelf(harness: Harness) -> list[service.ProductView]:
    """24 products in two categories; every third one archived."""
    made = []
    for n, (fruit, kind) in enumerate((f, k) for f in FRUITS for k in KINDS):
        category = "Preserves" if kind != "syrup" else "Drinks"
        made.append(await _add(harness, f"FR-{n:02d}", f"{fruit} {kind}", category=category))
    for view in made[::3]:
        await service.update_product(
            harness.db, None, view.id, service.input_from(view, active=False), view.version
        )
    return made


async def _names(harness: Harness, query: ProductQuery) -> list[str]:
    async with harness.db.read() as session:
        return [item.name for item in (await listing.list_products(session, query)).items]


async def _every_page(harness: Harness, query: ProductQuery) -> list[str]:
    """Follow the cursors to the end, as "Show more" does."""
    names: list[str] = []
    cursor: str | None = ""
    for _ in range(100):
        after_name, after_id = listing.decode_cursor(cursor)
        paged = ProductQuery(
            query.text, query.category_id, query.include_archived, after_name, after_id, query.limit
        )
        async with harness.db.read() as session:
            page = await listing.list_products(session, paged)
        names += [item.name for item in page.items]
        if (cursor := page.next_cursor) is None:
            return names
    raise AssertionError("the cursors never ended")


async def test_names_are_found_by_any_part_whatever_the_case(harness: Harness) -> None:
    await _shelf(harness)
    jellies = ["Blackberry jelly", "Elderberry jelly", "Gooseberry jelly"]
    assert await _names(harness, ProductQuery("BERRY J")) == jellies
    syrups = ["Blackberry syrup", "Cherry syrup", "Elderberry syrup", "Gooseberry syrup"]
    assert await _names(harness, ProductQuery("errY sY")) == syrups
    assert await _names(harness, ProductQuery("lum j")) == ["Plum jelly"]
    assert await _names(harness, ProductQuery("quince")) == []
    assert await _names(harness, ProductQuery('say "jam')) == []  # quotes do not upset the index


async def test_exact_skus_and_barcodes_are_found_and_partial_ones_are_not(harness: Harness) -> None:
    await _add(harness, "AB", "Honey", barcode=gtin("400638133393"))
    await _add(harness, "XY-123", "Salt")
    assert await _names(harness, ProductQuery("xy-123")) == ["Salt"]
    assert await _names(harness, ProductQuery("ab")) == ["Honey"]  # below three characters
    assert await _names(harness, ProductQuery(gtin("400638133393"))) == ["Honey"]
    assert await _names(harness, ProductQuery("XY-12")) == []
    assert await _names(harness, ProductQuery("4006381333")) == []


async def test_short_terms_are_found_and_wildcards_are_not_wildcards(harness: Harness) -> None:
    await _shelf(harness)
    assert await _names(harness, ProductQuery("fi")) == ["Fig jelly", "Fig syrup"]  # Fig jam archived
    assert await _names(harness, ProductQuery("_%")) == await _names(harness, ProductQuery())


@pytest.mark.parametrize(
    ("case", "term"),
    [("indexed", "berry"), ("common term walks", "berry"), ("short term walks", "rr"), ("no term", "")],
)
async def test_pages_of_a_search_in_a_category_hold_every_match_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, case: str, term: str
) -> None:
    if case != "indexed":  # tiny limits, so that these few products take several windows
        monkeypatch.setattr(search, "COMMON_MATCHES", 2)
        monkeypatch.setattr(search, "WALK_WINDOW", 4)
    made = await _shelf(harness)
    preserves = await _category_id(harness, "Preserves")
    for include_archived in (False, True):
        expected = sorted(
            view.name
            for n, view in enumerate(made)
            if term.casefold() in view.name.casefold()
            and view.category == "Preserves"
            and (include_archived or n % 3 != 0)
        )
        query = ProductQuery(term, preserves, include_archived, limit=3)
        assert await _every_page(harness, query) == expected


async def test_a_common_term_whose_matches_lie_further_on_fills_its_first_page(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "COMMON_MATCHES", 2)
    monkeypatch.setattr(search, "WALK_WINDOW", 4)
    await _shelf(harness)
    async with harness.db.read() as session:
        page = await listing.list_products(session, ProductQuery("plum"))
    assert [item.name for item in page.items] == ["Plum jelly", "Plum syrup"]
    assert page.next_cursor is None


@pytest.mark.parametrize("probe", [2, 1000])
async def test_a_search_pages_through_every_match_once_whether_the_probe_fills_a_page_or_not(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, probe: int
) -> None:
    monkeypatch.setattr(search, "PROBE_WINDOW", probe)  # 2: PostgreSQL gathers through the index
    made = await _shelf(harness)
    for term in ("berry", "JAM", "y s", "fr-07", "quince"):
        expected = sorted(
            view.name
            for n, view in enumerate(made)
            if (term.casefold() in view.name.casefold() or view.sku == term.upper()) and n % 3 != 0
        )
        assert await _every_page(harness, ProductQuery(term, limit=3)) == expected, term


async def test_a_search_leaves_the_planner_settings_of_the_session_as_they_were(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    if harness.db.is_sqlite:
        pytest.skip("only PostgreSQL's search changes a planner setting, for one statement")
    monkeypatch.setattr(search, "PROBE_WINDOW", 2)
    await _shelf(harness)
    async with harness.db.read() as session:
        page = await listing.list_products(session, ProductQuery("berry", limit=3))
        assert await session.scalar(text("SHOW enable_seqscan")) == "on"
    assert [item.name for item in page.items] == ["Blackberry jelly", "Blackberry syrup", "Elderberry jelly"]


async def _category_id(harness: Harness, name: str) -> int:
    async with harness.db.read() as session:
        return next(c.id for c in await CategoryCache().all(session) if c.name == name)


async def test_creating_renaming_and_archiving_keep_the_search_current(harness: Harness) -> None:
    made = await _add(harness, "Q-1", "Quince paste")
    assert await _names(harness, ProductQuery("quince")) == ["Quince paste"]
    renamed = await service.update_product(
        harness.db, None, made.id, service.input_from(made, name="Medlar paste"), made.version
    )
    assert await _names(harness, ProductQuery("quince")) == []
    assert await _names(harness, ProductQuery("medlar")) == ["Medlar paste"]
    await service.update_product(
        harness.db, None, made.id, service.input_from(renamed, active=False), renamed.version
    )
    assert await _names(harness, ProductQuery("medlar")) == []
    assert await _names(harness, ProductQuery("medlar", include_archived=True)) == ["Medlar paste"]
    await harness.db.run(run_sql, "DELETE FROM products WHERE id = :id", {"id": made.id})
    assert await _names(harness, ProductQuery("medlar", include_archived=True)) == []
    if harness.db.is_sqlite:  # the FTS5 index holds no trace of the deleted name
        async with harness.db.read() as session:
            hits = await session.scalar(
                text("SELECT count(*) FROM products_name_search WHERE products_name_search MATCH 'medlar'")
            )
        assert hits == 0


async def test_the_page_shows_a_new_category_at_once(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as client:
        assert "Preserves" not in (await client.get("/catalog")).text
        await _add(harness, "J-1", "Plum jam", category="Preserves")
        page = await client.get("/catalog")
    assert ">Preserves</option>" in page.text


async def test_a_walk_that_found_nothing_in_its_window_offers_more(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "WALK_WINDOW", 2)
    for n, name in enumerate(("Almonds", "Basil", "Cumin", "Dill")):
        await _add(harness, f"S-{n}", name)
    async with harness.signed_in(Role.OWNER) as client:
        first = await client.get("/catalog", params={"q": "di"})
        more = re.search(r'hx-get="([^"]+)"', first.text.split('id="product-rows"')[1])
        assert more is not None
        rest = await client.get(html.unescape(more[1]), headers={"hx-request": "true"})
    assert "product-row" not in first.text.split('id="product-rows"')[1]
    assert "No product matches" not in first.text
    assert ">Dill<" in rest.text


async def test_the_category_list_is_fresh_until_forgotten_or_too_old(harness: Harness) -> None:
    cache = CategoryCache(max_age=60)
    assert cache.fresh() is None  # never read: the caller must open a session
    async with harness.db.read() as session:
        items = await cache.all(session)
    assert cache.fresh() == items
    cache.forget()
    assert cache.fresh() is None
    aged = CategoryCache(max_age=0)
    async with harness.db.read() as session:
        await aged.all(session)
    assert aged.fresh() is None


def test_the_category_list_is_forgotten_when_a_product_event_arrives() -> None:
    cache = CategoryCache()
    cache._items = (CategoryItem(1, "Old"),)
    cache.on_event(Event(type="order.placed", subject="order:1", data={}))
    assert cache._items is not None
    cache.on_event(Event(type="product.updated", subject="product:1", data={}))
    assert cache._items is None
