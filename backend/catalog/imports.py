"""Importing a CSV: the upload is kept between its preview and its confirmation, then applied
in one transaction — every row or none."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.catalog import csv_io
from backend.catalog.events import CatalogImported
from backend.catalog.models import CatalogImport, Category, Product
from backend.catalog.rules import ProductInput
from backend.catalog.service import EDITABLE, category_id
from backend.kernel.db import Database, utcnow
from backend.kernel.events import record
from backend.kernel.tx import Tx

KEEP_FOR = timedelta(hours=24)


class ImportGone(Exception):
    """The upload expired, was already applied, or belongs to someone else."""


@dataclass(frozen=True)
class Applied:
    created: int
    updated: int
    unchanged: int


async def keep_upload(db: Database, user_id: int, filename: str, content: bytes) -> str:
    token = secrets.token_urlsafe(32)
    await db.run(_keep, token, user_id, filename[:200], content)
    return token


def _keep(tx: Tx, token: str, user_id: int, filename: str, content: bytes) -> None:
    session = tx.session
    session.execute(delete(CatalogImport).where(CatalogImport.created_at < utcnow() - KEEP_FOR))
    session.add(CatalogImport(token=token, user_id=user_id, filename=filename, content=content))


async def load_upload(db: Database, user_id: int, token: str) -> CatalogImport:
    async with db.read() as session:
        upload = await session.scalar(
            select(CatalogImport).where(CatalogImport.token == token, CatalogImport.user_id == user_id)
        )
    if upload is None or upload.created_at < utcnow() - KEEP_FOR:
        raise ImportGone(token)
    return upload


def _apply_row(session: Session, row: ProductInput, existing: Product | None) -> str:
    category = category_id(session, row.category)
    if existing is None:
        session.add(Product(**{name: getattr(row, name) for name in EDITABLE}, category_id=category))
        return "created"
    changed = [name for name in EDITABLE if getattr(existing, name) != getattr(row, name)]
    if not changed and existing.category_id == category:
        return "unchanged"
    for name in EDITABLE:
        setattr(existing, name, getattr(row, name))
    existing.category_id = category
    existing.version += 1
    existing.updated_at = utcnow()
    return "updated"


async def apply_upload(db: Database, user_id: int, token: str, default_currency: str) -> Applied:
    upload = await load_upload(db, user_id, token)
    preview = csv_io.read(upload.content, default_currency)
    if not preview.can_import:
        raise ImportGone(token)  # the preview said so already; nothing to apply
    return await db.run(_apply, user_id, token, upload.filename, preview.rows)


def _apply(tx: Tx, user_id: int, token: str, filename: str, rows: list[ProductInput]) -> Applied:
    """Every row or none, once: the upload goes with the first confirmation that applies it."""
    session = tx.session
    gone = session.execute(delete(CatalogImport).where(CatalogImport.token == token))
    if gone.rowcount != 1:
        raise ImportGone(token)  # a double submit: the first one applied it
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    existing = _existing(session, [row.sku for row in rows])
    for row in rows:
        counts[_apply_row(session, row, existing.get(row.sku))] += 1
    session.flush()
    record(tx, CatalogImported(filename=filename, **counts), "catalog", user_id)
    return Applied(**counts)


def _existing(session: Session, skus: list[str]) -> dict[str, Product]:
    found: dict[str, Product] = {}
    for start in range(0, len(skus), 500):  # databases cap the number of bound parameters
        chunk = skus[start : start + 500]
        found.update({p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(chunk)))})
    return found


async def export_rows(session: AsyncSession) -> list[ProductInput]:
    rows = await session.execute(
        select(Product, Category.name)
        .outerjoin(Category, Category.id == Product.category_id)
        .order_by(Product.sku)
    )
    return [
        ProductInput(**{name: getattr(product, name) for name in EDITABLE}, category=category)
        for product, category in rows
    ]
