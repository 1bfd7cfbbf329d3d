"""A large catalog for the catalog benchmark, written straight into a migrated SQLite file.

The app's services create one product per transaction with an event each: right for people, far
too slow for 100,000 rows. This writes the same tables with SQLAlchemy Core in large batches (a few
seconds). Only the read path is measured, so stock counters are written without ledger movements.
Names are generated from fixed word lists with a fixed seed: every run builds the same catalog.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, insert, select

from backend.catalog.models import Category, Product
from backend.inventory.models import Location, StockLevel

BATCH = 5_000
SEARCH_WORD = "truffe"  # in exactly 1 % of the names; no other word contains it
NOUNS = (
    "Confiture", "Miel", "Huile", "Vinaigre", "Moutarde", "Pâtes", "Riz", "Lentilles", "Thé", "Café",
    "Chocolat", "Biscuits", "Sardines", "Thon", "Terrine", "Rillettes", "Sel", "Poivre", "Farine",
    "Sucre", "Jus", "Sirop", "Compote", "Crème", "Sauce", "Pesto", "Olives", "Tapenade", "Savon",
    "Bougie", "Fromage", "Yaourt", "Beurre", "Pain", "Galettes", "Nougat", "Caramels", "Tisane",
    "Soupe", "Cassoulet",
)  # fmt: skip
QUALIFIERS = (
    "bio", "artisanal", "de Provence", "du Périgord", "à l'ancienne", "extra", "fumé", "doux",
    "corsé", "aux herbes", "au citron", "à la fleur de sel", "de Bretagne", "au piment d'Espelette",
    "à la vanille", "aux noix", "de montagne", "fermier", "au basilic", "à l'ail",
)  # fmt: skip
MAKERS = tuple(f"Maison {name}" for name in (
    "Arnaud", "Bertin", "Collet", "Dumas", "Estève", "Fabre", "Garnier", "Hardy", "Imbert", "Joly",
    "Lacroix", "Marchand", "Noël", "Olivier", "Perrin", "Renaud", "Simon", "Texier", "Vidal", "Weber",
))  # fmt: skip
SIZES = ("100 g", "250 g", "500 g", "1 kg", "75 cl", "1 L", "x4", "x6")
CATEGORIES = (
    "Salé", "Sucré", "Conserves", "Condiments", "Huiles et vinaigres", "Pâtes et riz", "Légumineuses",
    "Petit-déjeuner", "Biscuits", "Chocolats", "Confiseries", "Boissons", "Thés et cafés", "Vins",
    "Crèmerie", "Fromages", "Boulangerie", "Fruits et légumes", "Droguerie", "Cadeaux",
)  # fmt: skip


def _name(rng: random.Random, n: int) -> str:
    qualifier = f"à la {SEARCH_WORD}" if n % 100 == 0 else rng.choice(QUALIFIERS)
    return f"{rng.choice(NOUNS)} {qualifier} {rng.choice(MAKERS)} {rng.choice(SIZES)}"


def _products(count: int, rng: random.Random) -> Iterator[dict[str, object]]:
    for n in range(1, count + 1):
        yield {
            "id": n,
            "sku": f"BENCH-{n:06d}",
            "name": _name(rng, n),
            "description": "",
            "price_minor": rng.randrange(99, 4_999),
            "currency": "EUR",
            "tax_rate_centi": 550 if n % 10 else 2000,
            "barcode": None,
            "category_id": rng.randrange(1, len(CATEGORIES) + 1),
            "active": n % 50 != 25,  # 2 % archived (none of the search word's products)
            "allow_backorder": False,
            "version": 1,
        }


def _levels(count: int, rng: random.Random) -> Iterator[dict[str, int]]:
    """Stock at the warehouse for 40 % of the products and at the shop for 15 %."""
    for n in range(1, count + 1):
        for location_id, share in ((1, 0.40), (2, 0.15)):
            if rng.random() < share:
                on_hand = rng.randrange(0, 200)
                yield {"product_id": n, "location_id": location_id, "on_hand": on_hand, "reserved": 0}


def _batches(rows: Iterator[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def build(database: Path, count: int) -> None:
    """Fill an empty, migrated database: categories, two locations, products, stock levels."""
    rng = random.Random(20261128)
    engine = create_engine(f"sqlite:///{database}")
    try:  # no ANALYZE afterwards: the app never runs one, so its queries plan without statistics
        with engine.begin() as connection:
            connection.execute(insert(Category), [{"id": i, "name": n} for i, n in enumerate(CATEGORIES, 1)])
            connection.execute(
                insert(Location),
                [
                    {"id": 1, "code": "ENT", "name": "Entrepôt", "kind": "warehouse", "is_default": True},
                    {"id": 2, "code": "BTQ", "name": "Boutique", "kind": "shop", "is_default": False},
                ],
            )
            for batch in _batches(_products(count, rng)):
                connection.execute(insert(Product), batch)
            for batch in _batches(_levels(count, rng)):
                connection.execute(insert(StockLevel), batch)
    finally:
        engine.dispose()


def cursor_after_page(database: Path, page: int, page_size: int = 50) -> str:
    """The ``cursor`` the list's "Show more" link carries after ``page`` pages (service format)."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            last = connection.execute(
                select(Product.id, Product.name)
                .where(Product.active.is_(True))
                .order_by(Product.name, Product.id)
                .offset(page * page_size - 1)
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    return f"{last.id}:{last.name}"
