"""The catalog domain in the app: products (pages, API, CSV), and their rows redrawn live."""

from __future__ import annotations

from backend.auth.rules import Permission
from backend.catalog import events
from backend.catalog.categories import CategoryCache
from backend.catalog.web import api, dependencies, imports, live, pages
from backend.i18n.translation import N_
from backend.web.navigation import NavItem
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    dependencies=dependencies.DEPENDENCIES,
    name="catalog",
    api=api.ROUTES,
    pages=[*pages.ROUTES, *imports.ROUTES],
    navigation=[NavItem(N_("Catalog"), "/catalog", "catalog", 20, Permission.CATALOG_VIEW)],
    fragments=live.FRAGMENTS,
    quiet=live.QUIET,
    describers=sentences(events.SENTENCES),
    template_globals=live.TEMPLATE_GLOBALS,
    state=lambda site: {"categories": CategoryCache()},
)
