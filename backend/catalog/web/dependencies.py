"""What the catalog gives handlers: the categories this process keeps (``categories: Categories``)."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency

from backend.catalog.categories import CategoryCache
from backend.web.dependencies import GIVEN, from_state

Categories = Annotated[NamedDependency[CategoryCache], GIVEN]

DEPENDENCIES = {"categories": from_state("categories")}
