"""What the shop shows, kept in memory by each process: pages of the catalog, products by id, the
units free to sell and the pickup points.

Every shop page used to read all of it again (a listing query with a stock sum per row, the
products of the cart as ORM objects), which made the shop a seventh as fast as the home page.
Each part is forgotten when something that changes it commits:

- in this process, before the reply to that write: the transaction's events say which family
  changed (``events.note_recorded``), and rows of the watched tables changed through the ORM mark
  the session too, events or not;
- in any process, when its tailer sees such an event (immediately with PostgreSQL's NOTIFY,
  within ``COMPTOIR_TAILER_POLL_SECONDS`` on SQLite);
- and at the latest after ``MAX_AGE_SECONDS``, for writes that leave neither trace.

Stock is the exception: what settles a change of stock knows the new units free to sell of every
product it moved, and says so in its commit's info and in its ``stock.changed`` event. Those figures
replace the remembered ones instead of being forgotten, so that each order placed does not make the
next pages read the stock of its products again. Each product remembers the id of the event its
figure came from: an older event, arriving late, does not overwrite a newer figure.

Prices shown come from here; an order is still priced from the database when it is placed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from backend.catalog import listing
from backend.catalog.models import Category, Product
from backend.catalog.service import ProductView
from backend.inventory.events import StockChanged
from backend.inventory.models import Location, StockLevel
from backend.inventory.queries import available_by_product
from backend.inventory.settling import AVAILABLE, SETTLED
from backend.kernel.db import Database
from backend.kernel.events import Event

MAX_AGE_SECONDS = 60.0
MAX_ENTRIES = 20_000  # per part; past it the part starts again (ids in a cart are the visitor's)

CATALOG, STOCK, PLACES = "catalog", "stock", "places"
# Which part each family of events changes. Whatever moves stock (orders placed, edited, released,
# sold; receipts, adjustments, counts) records ``stock.changed`` with the products it changed.
FAMILIES = {"product": CATALOG, "catalog": CATALOG, "stock": STOCK, "location": PLACES}
WATCHED_ROWS: dict[type, str] = {Product: CATALOG, Category: CATALOG, StockLevel: STOCK, Location: PLACES}
_ROW_FLAG = "shop_offer_changed"


@event.listens_for(Session, "before_flush")
def _note_watched_rows(session: Session, _context: object, _instances: object) -> None:
    """Rows of the watched tables written through the ORM mark their transaction."""
    for row in (*session.new, *session.dirty, *session.deleted):
        if (part := WATCHED_ROWS.get(type(row))) is not None:
            session.info.setdefault(_ROW_FLAG, set()).add(part)


@dataclass(frozen=True, slots=True)
class PickupPoint:
    code: str
    name: str
    address: str


class _Part:
    """Entries of one kind, with a generation bumped by each ``forget``: a load that started
    before a forget is not kept, as it may have read what was just changed."""

    def __init__(self, max_age: float) -> None:
        self.max_age = max_age
        self.entries: dict[Any, Any] = {}
        self.generation = 0
        self.since = time.monotonic()

    def current(self) -> dict[Any, Any]:
        if time.monotonic() - self.since > self.max_age:
            self.forget()
        return self.entries

    def forget(self) -> None:
        self.entries = {}
        self.generation += 1
        self.since = time.monotonic()

    def forget_some(self, keys: Iterable[Any]) -> None:
        for key in keys:
            self.entries.pop(key, None)
        self.generation += 1

    def keep(self, generation: int, found: dict[Any, Any]) -> None:
        if generation != self.generation:
            return
        if len(self.entries) + len(found) > MAX_ENTRIES:
            self.entries = {}
        self.entries.update(found)


class _StockPart(_Part):
    """Units free to sell by product, also set from the figures a stock change commits with."""

    def __init__(self, max_age: float) -> None:
        super().__init__(max_age)
        self.as_of: dict[int, int] = {}  # product → id of the event its last figure came from

    def set_figures(self, figures: dict[int, tuple[int, int]]) -> None:
        """``figures``: product → (event id, units free to sell) as a commit left them."""
        self.current()  # a part past its age starts again before taking new figures
        if len(self.as_of) + len(figures) > MAX_ENTRIES:
            self.as_of = {}
        for product_id, (event_id, units) in figures.items():
            if event_id > self.as_of.get(product_id, 0):
                self.as_of[product_id] = event_id
                self.entries[product_id] = units
        self.generation += 1  # a load under way may have read the stock before this change


class OfferCache:
    def __init__(self, max_age: float = MAX_AGE_SECONDS) -> None:
        self._stock = _StockPart(max_age)
        self._parts = {CATALOG: _Part(max_age), STOCK: self._stock, PLACES: _Part(max_age)}

    async def page(self, db: Database, query: listing.ProductQuery) -> listing.ProductPage:
        """One page of the offer, as the catalog lists it (without stock: see ``available``)."""
        part = self._parts[CATALOG]
        query = replace(query, stock=None)
        if (found := part.current().get(query)) is not None:
            return found  # type: ignore[no-any-return]
        generation = part.generation
        async with db.read() as session:
            found = await listing.list_products(session, query)
        part.keep(generation, {query: found, **{product.id: product for product in found.items}})
        return found

    async def products(self, db: Database, product_ids: Iterable[int]) -> dict[int, ProductView]:
        """The products among these that are sold (active), by id."""
        part = self._parts[CATALOG]
        entries = part.current()
        wanted = list(dict.fromkeys(product_ids))
        found = {product_id: entries[product_id] for product_id in wanted if product_id in entries}
        if missing := [product_id for product_id in wanted if product_id not in found]:
            generation = part.generation
            loaded = await _active_products(db, missing)
            fetched = {product_id: loaded.get(product_id) for product_id in missing}  # None: not sold
            part.keep(generation, fetched)
            found.update(fetched)
        return {product_id: product for product_id, product in found.items() if product is not None}

    async def available(self, db: Database, product_ids: Iterable[int]) -> dict[int, int]:
        """Units free to sell per product, over every location."""
        part = self._parts[STOCK]
        entries = part.current()
        wanted = list(dict.fromkeys(product_ids))
        found = {product_id: entries[product_id] for product_id in wanted if product_id in entries}
        if missing := [product_id for product_id in wanted if product_id not in found]:
            generation = part.generation
            async with db.read() as session:
                loaded = await available_by_product(session, missing)
            fetched = {product_id: loaded.get(product_id, 0) for product_id in missing}
            part.keep(generation, fetched)
            found.update(fetched)
        return found

    async def pickup_points(self, db: Database) -> tuple[PickupPoint, ...]:
        part = self._parts[PLACES]
        if (found := part.current().get(PLACES)) is not None:
            return found  # type: ignore[no-any-return]
        generation = part.generation
        async with db.read() as session:
            rows = await session.execute(
                select(Location.code, Location.name, Location.address)
                .where(Location.is_pickup_point.is_(True))
                .order_by(Location.name)
            )
            found = tuple(PickupPoint(*row) for row in rows)
        part.keep(generation, {PLACES: found})
        return found

    def forget(self, *parts: str) -> None:
        for name in parts or tuple(self._parts):
            self._parts[name].forget()

    def on_commit(self, session: Any) -> None:
        """After a commit in this process: forget what its events or rows changed. Stock changes
        settled in the transaction name their products and their new figures: those are kept."""
        info = session.info
        changed = {part for family, part in FAMILIES.items() if info.get(f"events:{family}")}
        rows = info.get(_ROW_FLAG, set())
        if STOCK in changed and STOCK not in rows and (settled := info.get(SETTLED)):
            changed.discard(STOCK)
            figures = info.get(AVAILABLE, {})
            self._stock.forget_some(product_id for product_id in settled if product_id not in figures)
            self._stock.set_figures(figures)
        if changed := changed | rows:
            self.forget(*changed)

    def on_event(self, event: Event) -> None:
        """An event from any process, as the tailer reads it."""
        if isinstance(event.payload, StockChanged):
            available = event.payload.available
            if event.id is None:  # not read from the log: no order among events to go by
                self._stock.forget_some(int(product_id) for product_id in available)
            else:
                self._stock.set_figures(
                    {int(product_id): (event.id, int(units)) for product_id, units in available.items()}
                )
        elif (part := FAMILIES.get(event.type.partition(".")[0])) is not None:
            self.forget(part)


async def _active_products(db: Database, product_ids: list[int]) -> dict[int, ProductView]:
    statement = (
        select(*listing.VIEW_COLUMNS)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.id.in_(product_ids), Product.active.is_(True))
    )
    async with db.read() as session:
        rows = await session.execute(statement)
        return {row[0]: ProductView(*row) for row in rows}
