"""What handlers are given: the database, the settings, who is asking, and the per-process caches.

The app keeps these on its state (``backend/app.py``); this module is the one place that reads
them there. A handler names what it needs as a parameter (``db: AppDb``, ``actor: CurrentActor``,
``shop: Shop``…: the name says which, the alias below marks it as given) and Litestar passes it
in. The providers take the ASGI scope rather than the request, so the same ones serve HTTP
handlers and websockets; none of them reads a query, header or body, so the OpenAPI schema gains
nothing from them.

Code Litestar does not inject into (exception handlers, the templates' shared frame) asks through
the plain functions at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidationMarker
from litestar.types import Scope

from backend.auth.principal import Principal
from backend.auth.principal_cache import PrincipalCache
from backend.auth.rules import Role
from backend.auth.web.guards import principal_in
from backend.catalog.categories import CategoryCache
from backend.dashboard.service import FeedCache
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from backend.ops.health import DatabaseProbe
from backend.ops.storage import StorageState
from backend.orders.rules import Actor
from backend.realtime.tailer import Tailer
from backend.shop.cache import ShopCache, ShopSnapshot
from backend.storefront.offer_cache import OfferCache

# What a handler's parameters are annotated with: the parameter's name says which dependency
# (``db: AppDb``). The values are the app's own objects: nothing to validate.
_GIVEN = SkipValidationMarker()
AppDb = Annotated[NamedDependency[Database], _GIVEN]
AppSettings = Annotated[NamedDependency[Settings], _GIVEN]
CurrentPrincipal = Annotated[NamedDependency[Principal], _GIVEN]
CurrentActor = Annotated[NamedDependency[Actor], _GIVEN]
Shop = Annotated[NamedDependency[ShopSnapshot], _GIVEN]
Principals = Annotated[NamedDependency[PrincipalCache], _GIVEN]
Categories = Annotated[NamedDependency[CategoryCache], _GIVEN]
Offer = Annotated[NamedDependency[OfferCache], _GIVEN]
Feeds = Annotated[NamedDependency[FeedCache], _GIVEN]
LiveTailer = Annotated[NamedDependency[Tailer], _GIVEN]
LiveCursor = Annotated[NamedDependency[int], _GIVEN]
Health = Annotated[NamedDependency[DatabaseProbe], _GIVEN]
Channels = Annotated[NamedDependency[ChannelsPlugin], _GIVEN]  # provided by the plugin itself


def app_state(scope: Scope) -> State:
    return scope["litestar_app"].state


def provide_db(scope: Scope) -> Database:
    return app_state(scope).db


def provide_settings(scope: Scope) -> Settings:
    return app_state(scope).settings


def provide_principal(scope: Scope) -> Principal:
    """The signed-in person or API token; 401 without one (as the guards answer)."""
    return principal_in(scope)


def provide_actor(scope: Scope) -> Actor:
    """Who acts on orders: a signed-in account, or an anonymous visitor (``Actor(None)``)."""
    principal: Principal | None = scope.get("user")
    if principal is None:
        return Actor(None)
    return Actor(principal.user_id, principal.permissions, is_customer=principal.role == Role.CUSTOMER)


def provide_shop(scope: Scope) -> ShopSnapshot:
    """The shop's profile as this process knows it now (name, currency, time zone, language)."""
    cache: ShopCache = app_state(scope).shop
    return cache.current


def provide_principals(scope: Scope) -> PrincipalCache:
    return app_state(scope).principals


def provide_categories(scope: Scope) -> CategoryCache:
    return app_state(scope).categories


def provide_offer(scope: Scope) -> OfferCache:
    return app_state(scope).offer


def provide_feeds(scope: Scope) -> FeedCache:
    return app_state(scope).feeds


def provide_tailer(scope: Scope) -> Tailer:
    return app_state(scope).tailer


def provide_live_cursor(scope: Scope) -> int:
    """The newest event this process has sent on: a page read after it resumes its socket there."""
    return provide_tailer(scope).cursor


def provide_health(scope: Scope) -> DatabaseProbe:
    return app_state(scope).health


def _provide(fn: Any) -> Provide:
    return Provide(fn, sync_to_thread=False)


DEPENDENCIES: dict[str, Provide] = {
    "db": _provide(provide_db),
    "settings": _provide(provide_settings),
    "principal": _provide(provide_principal),
    "actor": _provide(provide_actor),
    "shop": _provide(provide_shop),
    "principals": _provide(provide_principals),
    "categories": _provide(provide_categories),
    "offer": _provide(provide_offer),
    "feeds": _provide(provide_feeds),
    "tailer": _provide(provide_tailer),
    "live_cursor": _provide(provide_live_cursor),
    "health": _provide(provide_health),
}


# For what Litestar does not inject into.


def settings_of(scope: Scope) -> Settings:
    return provide_settings(scope)


def storage_of(scope: Scope) -> StorageState | None:
    """The app's record of write failures; None for an app that keeps none."""
    return getattr(app_state(scope), "storage", None)


@dataclass(frozen=True)
class Shell:
    """What every page's frame shows: where its live socket resumes, how htmx is served, the shop's
    name. Read when the page renders, as the page itself is."""

    live_cursor: int | str
    htmx_source: str
    shop_name: str


def shell_of(scope: Scope) -> Shell:
    state = app_state(scope)
    tailer: Tailer | None = getattr(state, "tailer", None)  # None before the app has started
    settings: Settings = state.settings
    shop: ShopCache = state.shop
    return Shell(tailer.cursor if tailer else "", settings.htmx_source, shop.current.name)
