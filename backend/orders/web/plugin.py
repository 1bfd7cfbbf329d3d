"""The orders domain in the app: entry, the queue, the list, imports, an order's page, the API;
order events go to the people who may see orders, and redraw the queue and the order's page."""

from __future__ import annotations

from backend.auth.rules import Permission
from backend.i18n.translation import N_
from backend.orders import events
from backend.orders.web import (
    api,
    customers,
    dependencies,
    edit,
    entry,
    imports,
    listing,
    live,
    pages,
    queue,
    ratings,
    sharing,
)
from backend.web.navigation import NavItem
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    dependencies=dependencies.DEPENDENCIES,
    name="orders",
    api=api.ROUTES,
    pages=[
        *queue.ROUTES,
        *entry.ROUTES,
        *imports.ROUTES,
        *listing.ROUTES,
        *pages.ROUTES,
        *edit.ROUTES,
        *customers.ROUTES,
        *sharing.ROUTES,
        *ratings.ROUTES,
    ],
    navigation=[NavItem(N_("Orders"), "/orders", "orders", 10, Permission.ORDERS_VIEW)],
    topic_rules=live.TOPIC_RULES,
    fragments=live.FRAGMENTS,
    describers=sentences(events.SENTENCES),
)
