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

from jinja2 import Environment
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidationMarker
from litestar.types import Scope

from backend.auth.principal import Principal
from backend.auth.principal_cache import PrincipalCache
from backend.auth.web.guards import principal_in
from backend.kernel.db import Database
from backend.kernel.settings import Settings
from backend.ops.health import DatabaseProbe
from backend.ops.storage import StorageState

# What a handler's parameters are annotated with: the parameter's name says which dependency
# (``db: AppDb``). The values are the app's own objects: nothing to validate.
GIVEN = SkipValidationMarker()
AppDb = Annotated[NamedDependency[Database], GIVEN]
AppSettings = Annotated[NamedDependency[Settings], GIVEN]
CurrentPrincipal = Annotated[NamedDependency[Principal], GIVEN]
Principals = Annotated[NamedDependency[PrincipalCache], GIVEN]
Health = Annotated[NamedDependency[DatabaseProbe], GIVEN]
Templates = Annotated[NamedDependency[Environment], GIVEN]  # the app's own, its plugins' globals in it
Channels = Annotated[NamedDependency[ChannelsPlugin], GIVEN]  # provided by the plugin itself


def app_state(scope: Scope) -> State:
    return scope["litestar_app"].state


def provide_db(scope: Scope) -> Database:
    return app_state(scope).db


def provide_settings(scope: Scope) -> Settings:
    return app_state(scope).settings


def provide_principal(scope: Scope) -> Principal:
    """The signed-in person or API token; 401 without one (as the guards answer)."""
    return principal_in(scope)


def provide_principals(scope: Scope) -> PrincipalCache:
    return app_state(scope).principals


def provide_health(scope: Scope) -> DatabaseProbe:
    return app_state(scope).health


def provide_templates(scope: Scope) -> Environment:
    return app_state(scope).site.templates  # type: ignore[no-any-return]


def _provide(fn: Any) -> Provide:
    return Provide(fn, sync_to_thread=False)


def from_state(name: str) -> Provide:
    """A dependency that is the app's per-process object of that name (``app.state.<name>``), made
    by the plugin that owns it: e.g. ``{"feeds": from_state("feeds")}`` in the dashboard's plugin."""

    def provide(scope: Scope) -> Any:
        return getattr(app_state(scope), name)

    return _provide(provide)


def extension(point: str) -> Provide:
    """A dependency that is what the app's plugins added to the extension point ``point`` (a
    tuple, in the plugins' order; empty when none did): how a domain calls the domains above it."""

    def provide(scope: Scope) -> tuple[Any, ...]:
        return tuple(app_state(scope).site.extensions.get(point, ()))

    return _provide(provide)


DEPENDENCIES: dict[str, Provide] = {
    "db": _provide(provide_db),
    "settings": _provide(provide_settings),
    "principal": _provide(provide_principal),
    "principals": _provide(provide_principals),
    "health": _provide(provide_health),
    "templates": _provide(provide_templates),
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
    tailer = getattr(state, "tailer", None)  # the live updates' tailer; None before the app has started
    settings: Settings = state.settings
    shop = getattr(state, "shop", None)  # the shop's plugin's cache of its profile
    return Shell(tailer.cursor if tailer else "", settings.htmx_source, shop.current.name if shop else "")
