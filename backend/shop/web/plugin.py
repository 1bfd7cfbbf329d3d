"""The shop domain in the app: its settings page, and the shop's profile kept in each process."""

from __future__ import annotations

from backend.shop import events
from backend.shop.cache import ShopCache
from backend.shop.web import dependencies, pages
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    dependencies=dependencies.DEPENDENCIES,
    name="shop",
    pages=pages.ROUTES,
    describers=sentences(events.SENTENCES),
    state=lambda site: {"shop": ShopCache()},  # loaded at start, refreshed by its events
)
