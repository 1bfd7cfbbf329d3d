"""The purchasing domain in the app: suppliers and purchase orders."""

from __future__ import annotations

from backend.purchasing import events
from backend.purchasing.web import dependencies, pages, suppliers
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    dependencies=dependencies.DEPENDENCIES,
    name="purchasing",
    pages=[*pages.ROUTES, *suppliers.ROUTES],
    describers=sentences(events.SENTENCES),
)
