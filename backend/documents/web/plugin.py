"""The documents domain in the app: the recipients' links (``/d/<token>``) and the team's panels of
shared links (on an order's page through returns, on an invoice's through invoicing's
``invoice_panels``); document events redraw those panels live."""

from __future__ import annotations

from backend.documents import events
from backend.documents.web import live, pages
from backend.invoicing.web.pages import INVOICE_PANELS
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    name="documents",
    pages=pages.ROUTES,
    topic_rules=live.TOPIC_RULES,
    fragments=live.FRAGMENTS,
    describers=sentences(events.SENTENCES),
    extends={INVOICE_PANELS: ("documents/_invoice_slot.html",)},  # an invoice's shared links
)
