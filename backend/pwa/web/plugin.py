"""The installable app in the app: manifest, service worker, the offline page, the icon."""

from __future__ import annotations

from backend.pwa import routes
from backend.web.plugin import DomainPlugin

PLUGIN = DomainPlugin(name="pwa", pages=routes.ROUTES)
