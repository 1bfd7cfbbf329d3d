"""What the inventory gives handlers, and what its own handlers take from the domains above it.

It gives the catalog's list its stock column (``stock_column``: units free to sell, over every
location), replacing the catalog's own ``None``; the app adds the plugins' dependencies in its
order, which puts the inventory after the catalog.

Its stock commands take what to do about a level that fell low (``on_low: OnLow``): purchasing,
above it, drafts a reorder, and its plugin gives that; without purchasing, nothing is done.
"""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency, Provide

from backend.catalog.web.dependencies import StockQuery
from backend.inventory import levels, settling
from backend.web.dependencies import GIVEN

OnLow = Annotated[NamedDependency[settling.OnLow], GIVEN]


def provide_stock_column() -> StockQuery | None:
    return levels.free_units


def provide_no_reorder() -> settling.OnLow:
    return settling.no_reorder


DEPENDENCIES = {
    "stock_column": Provide(provide_stock_column, sync_to_thread=False),
    "on_low": Provide(provide_no_reorder, sync_to_thread=False),
}
