"""The dashboard in the app: each role's home at "/" and the menu; the team's activity feed."""

from __future__ import annotations

from backend.auth.rules import Role
from backend.dashboard.service import FeedCache
from backend.dashboard.web import dependencies, pages
from backend.i18n.translation import N_
from backend.web.navigation import NavItem
from backend.web.plugin import DomainPlugin

PLUGIN = DomainPlugin(
    dependencies=dependencies.DEPENDENCIES,
    name="dashboard",
    pages=pages.ROUTES,
    # Everyone's home is "/", which shows each role its own first screen (pages.home).
    navigation=[
        NavItem(N_("Home"), "/", "home", 0, roles=frozenset({Role.OWNER, Role.STAFF})),
        NavItem(N_("My orders"), "/", "orders", 0, roles=frozenset({Role.CUSTOMER})),
        NavItem(N_("Today's run"), "/deliveries/today", "deliveries", 0, roles=frozenset({Role.DRIVER})),
        NavItem(N_("Menu"), "/more", "more", 100),
    ],
    state=lambda site: {"feeds": FeedCache(site)},
)
