"""The invoicing domain in the app. Other modules of the domain's web (returns, documents) add
their routes to the lists below."""

from __future__ import annotations

from backend.invoicing import events
from backend.invoicing.web import api, drafting, facts, forms, pages, settings
from backend.orders.web.dependencies import ORDER_FACTS, ORDER_PANELS
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    name="invoicing",
    api=[*api.ROUTES],
    pages=[*pages.ROUTES, *drafting.ROUTES, *settings.ROUTES],
    extends={ORDER_FACTS: facts.ORDER_FACTS, ORDER_PANELS: ("invoicing/_order_slot.html",)},
    describers=sentences(events.SENTENCES),
    template_globals={"invoice_day": forms.invoice_day, "invoice_rate": forms.format_tax_rate},
)
