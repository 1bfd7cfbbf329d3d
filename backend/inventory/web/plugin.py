"""The inventory domain in the app: stock pages and API, counts, locations; figures redrawn live."""

from __future__ import annotations

from backend.auth.rules import Permission
from backend.i18n.translation import N_
from backend.inventory import events
from backend.inventory.web import api, bins, counts, dependencies, live, locations, pages
from backend.web.navigation import NavItem
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    dependencies=dependencies.DEPENDENCIES,
    name="inventory",
    api=api.ROUTES,
    pages=[*pages.ROUTES, *counts.ROUTES, *locations.ROUTES, *bins.ROUTES],
    navigation=[NavItem(N_("Stock"), "/stock", "stock", 30, Permission.STOCK_VIEW)],
    fragments=live.FRAGMENTS,
    describers=sentences(events.SENTENCES),
    template_globals=live.TEMPLATE_GLOBALS,
)
