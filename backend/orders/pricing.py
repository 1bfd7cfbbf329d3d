"""Prices, taxes and totals of an order. Pure Python, integer minor units only.

Catalog prices are shelf prices: they include tax, as shops selling to consumers show them. A
line's total is unit price × quantity; the tax it contains is computed **per line** as
``total × rate / (100 % + rate)``, rounded **half up** to the minor unit (0.5 cent goes up), and the
order's tax is the sum of its lines' taxes. Rounding per line, not per order, means every line on
an invoice adds up by itself, and half up is what customers and tax offices expect to see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CENTI_PERCENT = 10_000  # tax rates are hundredths of a percent: 20 % is 2000


def divide_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for non-negative integers."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("only non-negative amounts are rounded here")
    return (2 * numerator + denominator) // (2 * denominator)


def tax_included(total_minor: int, tax_rate_centi: int) -> int:
    """The tax contained in a tax-inclusive amount, e.g. 20 % of 1200 → 200."""
    return divide_half_up(total_minor * tax_rate_centi, CENTI_PERCENT + tax_rate_centi)


@dataclass(frozen=True)
class PricedLine:
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate_centi: int

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def tax_minor(self) -> int:
        return tax_included(self.total_minor, self.tax_rate_centi)

    @property
    def net_minor(self) -> int:
        return self.total_minor - self.tax_minor


@dataclass(frozen=True)
class Totals:
    net_minor: int
    tax_minor: int
    total_minor: int


def totals(lines: Iterable[PricedLine]) -> Totals:
    listed = list(lines)
    tax = sum(line.tax_minor for line in listed)
    total = sum(line.total_minor for line in listed)
    return Totals(total - tax, tax, total)


def merge_quantities(wanted: Iterable[tuple[str, int]]) -> dict[str, int]:
    """The same SKU on several lines is one line with the quantities added, first seen first."""
    merged: dict[str, int] = {}
    for sku, quantity in wanted:
        merged[sku] = merged.get(sku, 0) + quantity
    return merged
