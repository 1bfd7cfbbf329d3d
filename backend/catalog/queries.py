"""What other domains' commands read of the catalog, in their own transaction (``backend.kernel.tx``):
synchronous SQL text, one statement a call, so that the statements on the hot paths (placing and
editing an order, reserving stock) stay as few as before while the catalog's tables stay the
catalog's."""

from __future__ import annotations

from dataclasses import dataclass

from backend.kernel.tx import Tx

_FOR_SALE = (
    "SELECT id, sku, name, price_minor, tax_rate_centi, currency, allow_backorder FROM products"
    " WHERE active AND sku "
)
_TERMS = "SELECT active, allow_backorder FROM products WHERE id = :id"


@dataclass(frozen=True)
class ForSale:
    """A product as an order line needs it."""

    id: int
    sku: str
    name: str
    price_minor: int
    tax_rate_centi: int
    currency: str
    allow_backorder: bool


def products_by_sku(tx: Tx, skus: list[str]) -> dict[str, ForSale]:
    """SKU → product, of the active products among these (normalised) SKUs."""
    rows = tx.execute(_FOR_SALE + tx.in_ids, {"ids": tx.array(skus)}).fetchall()
    return {row[1]: ForSale(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6])) for row in rows}


def backorder_terms(tx: Tx, product_id: int) -> bool | None:
    """Whether the product may be sold short; None when it is unknown or archived."""
    row = tx.execute(_TERMS, {"id": product_id}).fetchall()
    return bool(row[0][1]) if row and row[0][0] else None
