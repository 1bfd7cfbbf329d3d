"""The purchasing domain in the app: suppliers and purchase orders."""

from __future__ import annotations

from backend.purchasing.web import pages, suppliers
from backend.realtime.describe import sentences_of
from backend.web.plugin import DomainPlugin

PLUGIN = DomainPlugin(
    name="purchasing",
    pages=[*pages.ROUTES, *suppliers.ROUTES],
    describers=sentences_of("supplier.", "purchasing."),
)
