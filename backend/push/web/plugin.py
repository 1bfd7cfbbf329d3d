"""Web Push in the app: ``/push/key`` and ``/push/subscriptions``, the notification settings of
the "me" page, and the dispatcher running while the app runs (``dispatching``)."""

from __future__ import annotations

from backend.push.web import dependencies, pages, subscriptions
from backend.push.web.dispatching import PushRuntime, dispatching
from backend.web.plugin import DomainPlugin

PLUGIN = DomainPlugin(
    name="push",
    pages=[*subscriptions.ROUTES, *pages.ROUTES],
    state=lambda site: {"push": PushRuntime()},
    lifespan=[dispatching],
    dependencies=dependencies.DEPENDENCIES,
)
