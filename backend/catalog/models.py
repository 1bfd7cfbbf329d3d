"""Catalog tables. Prices are integer minor units with a currency; tax rates are hundredths of a
percent (20 % is 2000, 5.5 % is 550) so that no float ever touches money."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.kernel.db import Base, UTCDateTime, utcnow


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("tax_rate_centi >= 0 AND tax_rate_centi <= 10000", name="tax_rate_range"),
        Index("ix_products_name_id", "name", "id"),  # the list's order and its keyset cursor
        Index("ix_products_category_id_name_id", "category_id", "name", "id"),  # one category, in order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_centi: Mapped[int] = mapped_column(Integer, default=0)
    barcode: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    photo: Mapped[str | None] = mapped_column(String(120), default=None)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_backorder: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductPhoto(Base):
    """The product's photo, resized, in the database: every app process and host can serve it."""

    __tablename__ = "product_photos"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(40))
    etag: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CatalogImport(Base):
    """An uploaded CSV between its preview and its confirmation."""

    __tablename__ = "catalog_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
