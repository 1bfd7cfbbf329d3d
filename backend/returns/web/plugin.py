"""The returns domain in the app: the team's returns list and pages, a customer's request from
the tracking link or "My orders", the API; return events redraw the pages that show them."""

from __future__ import annotations

from backend.orders.web.dependencies import ORDER_PANELS
from backend.returns import events
from backend.returns.web import api, customer, live, pages
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    name="returns",
    api=api.ROUTES,
    pages=[*pages.ROUTES, *customer.ROUTES],
    topic_rules=live.TOPIC_RULES,
    fragments=live.FRAGMENTS,
    describers=sentences(events.SENTENCES),
    extends={ORDER_PANELS: ("returns/_order_slot.html",)},  # its returns and shared documents
)
