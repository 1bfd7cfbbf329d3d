"""What the catalog gives handlers: the categories this process keeps (``categories: Categories``).

Its pages also take two things only the domains above it know, each given by that domain's plugin:
the shop's profile (``shop: ShopCurrency``, from the shop's plugin, for the currency a new product
starts with) and the stock column of the list (``stock_column: StockColumn``, from the inventory's
plugin). The catalog's own plugin gives no stock column (``None``): an app without the inventory
lists products without one. Plugins add their dependencies in the app's order, so the inventory's
replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Protocol

from litestar.di import NamedDependency, Provide
from sqlalchemy import ColumnElement

from backend.catalog.categories import CategoryCache
from backend.web.dependencies import GIVEN, from_state


class ShopProfile(Protocol):
    """What the catalog reads of the shop's profile."""

    @property
    def currency(self) -> str: ...


# Of a product's id, the units of it free to sell (a column of the list query; ``listing.ProductQuery``).
StockQuery = Callable[[ColumnElement[int]], ColumnElement[int]]

Categories = Annotated[NamedDependency[CategoryCache], GIVEN]
ShopCurrency = Annotated[NamedDependency[ShopProfile], GIVEN]
StockColumn = Annotated[NamedDependency[StockQuery | None], GIVEN]


def no_stock_column() -> StockQuery | None:
    return None


DEPENDENCIES = {
    "categories": from_state("categories"),
    "stock_column": Provide(no_stock_column, sync_to_thread=False),
}
