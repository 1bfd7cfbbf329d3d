"""What the shop domain gives handlers: its profile as this process knows it (``shop: Shop``)."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency, Provide
from litestar.types import Scope

from backend.shop.cache import ShopCache, ShopSnapshot
from backend.web.dependencies import GIVEN, app_state

Shop = Annotated[NamedDependency[ShopSnapshot], GIVEN]


def provide_shop(scope: Scope) -> ShopSnapshot:
    """The shop's profile as this process knows it now (name, currency, time zone, language)."""
    cache: ShopCache = app_state(scope).shop
    return cache.current


DEPENDENCIES = {"shop": Provide(provide_shop, sync_to_thread=False)}
