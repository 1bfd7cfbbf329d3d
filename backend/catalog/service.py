"""Catalog operations: each command is one transaction that records its event."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.catalog import categories, rules
from backend.catalog.events import ProductCreated, ProductUpdated
from backend.catalog.models import Category, Product
from backend.catalog.rules import ProductInput, ProductRejected
from backend.kernel.db import Database, utcnow
from backend.kernel.events import record
from backend.kernel.tx import Tx


class ProductConflict(Exception):
    """The product changed since the editor read it; carries what it is now."""

    def __init__(self, current: ProductView) -> None:
        super().__init__("version_conflict")
        self.current = current


class ProductNotFound(Exception):
    pass


@dataclass(frozen=True)
class ProductView:
    """A product as pages and the API show it (detached from any session)."""

    id: int
    sku: str
    name: str
    description: str
    price_minor: int
    currency: str
    tax_rate_centi: int
    category: str | None
    barcode: str | None
    active: bool
    allow_backorder: bool
    has_photo: bool
    version: int


def view_of(product: Product, category: str | None) -> ProductView:
    return ProductView(
        id=product.id,
        sku=product.sku,
        name=product.name,
        description=product.description,
        price_minor=product.price_minor,
        currency=product.currency,
        tax_rate_centi=product.tax_rate_centi,
        category=category,
        barcode=product.barcode,
        active=product.active,
        allow_backorder=product.allow_backorder,
        has_photo=product.photo is not None,
        version=product.version,
    )


EDITABLE = tuple(f.name for f in fields(ProductInput) if f.name != "category")


def category_id(session: Session, name: str | None) -> int | None:
    """The category with this name (case-insensitive), created on first use."""
    if not name:
        return None
    # Compared in Python: SQLite's lower() folds ASCII letters only, so "Épicerie" would miss
    # "épicerie". A shop has tens of categories, not thousands.
    wanted = name.casefold()
    for found, existing in session.execute(select(Category.id, Category.name)):
        if existing.casefold() == wanted:
            return found
    category = Category(name=name)
    session.add(category)
    session.flush()
    categories.note_created(session.info)
    return category.id


def _name_of(category_id: int) -> Select[tuple[str]]:
    return select(Category.name).where(Category.id == category_id)


def _category_name(session: Session, category_id: int | None) -> str | None:
    return session.scalar(_name_of(category_id)) if category_id else None


def _sku_taken(session: Session, sku: str, other_than: int | None = None) -> bool:
    query = select(Product.id).where(Product.sku == sku)
    if other_than is not None:
        query = query.where(Product.id != other_than)
    return session.scalar(query) is not None


async def create_product(db: Database, actor_id: int | None, wanted: ProductInput) -> ProductView:
    rules.check(wanted)
    try:
        return await db.run(_create, actor_id, wanted)
    except IntegrityError as exc:  # a concurrent create took the SKU between our check and insert
        raise ProductRejected({"sku": "sku_taken"}) from exc


def _create(tx: Tx, actor_id: int | None, wanted: ProductInput) -> ProductView:
    session = tx.session
    if _sku_taken(session, wanted.sku):
        raise ProductRejected({"sku": "sku_taken"})
    values = {name: getattr(wanted, name) for name in EDITABLE}
    product = Product(**values, category_id=category_id(session, wanted.category))
    session.add(product)
    session.flush()
    view = view_of(product, wanted.category and _category_name(session, product.category_id))
    record(tx, ProductCreated(**_event_data(product, view.category)), f"product:{product.id}", actor_id)
    return view


def _event_data(product: Product, category: str | None) -> dict[str, Any]:
    """What open pages need to redraw the product's row without asking the database."""
    return {
        "category": category,
        "sku": product.sku,
        "name": product.name,
        "price_minor": product.price_minor,
        "currency": product.currency,
        "active": product.active,
    }


async def get_product(session: AsyncSession, product_id: int) -> ProductView:
    product = await session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(product_id)
    category = await session.scalar(_name_of(product.category_id)) if product.category_id else None
    return view_of(product, category)


async def update_product(
    db: Database, actor_id: int | None, product_id: int, wanted: ProductInput, expected_version: int
) -> ProductView:
    """Replace the editable fields; the editor's version must still be current."""
    rules.check(wanted)
    return await db.run(_update, actor_id, product_id, wanted, expected_version)


def _update(
    tx: Tx, actor_id: int | None, product_id: int, wanted: ProductInput, expected_version: int
) -> ProductView:
    session = tx.session
    product = session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise ProductNotFound(product_id)
    if product.version != expected_version:
        raise ProductConflict(view_of(product, _category_name(session, product.category_id)))
    if _sku_taken(session, wanted.sku, other_than=product_id):
        raise ProductRejected({"sku": "sku_taken"})
    before = asdict(view_of(product, _category_name(session, product.category_id)))
    for name in EDITABLE:
        setattr(product, name, getattr(wanted, name))
    product.category_id = category_id(session, wanted.category)
    after = view_of(product, wanted.category and _category_name(session, product.category_id))
    changes = {k: [before[k], v] for k, v in asdict(after).items() if before[k] != v and k != "version"}
    if changes:
        product.version += 1
        product.updated_at = utcnow()
        session.flush()
        event = ProductUpdated(**_event_data(product, after.category), changes=changes)
        record(tx, event, f"product:{product.id}", actor_id)
    return view_of(product, after.category)


def input_from(view: ProductView, **overrides: object) -> ProductInput:
    """The current values as an input, with some replaced (partial updates)."""
    values = {name: getattr(view, name) for name in EDITABLE}
    values["category"] = view.category
    values.update(overrides)
    return ProductInput(**values)  # type: ignore[arg-type]
