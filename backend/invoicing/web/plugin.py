"""The invoicing domain in the app. Other modules of the domain's web (returns, documents) add
their routes to the lists below."""

from __future__ import annotations

from backend.invoicing import events
from backend.invoicing.web import api, facts
from backend.orders.web.dependencies import ORDER_FACTS
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    name="invoicing",
    api=[*api.ROUTES],
    pages=[],
    describers=sentences(events.SENTENCES),
    extends={ORDER_FACTS: facts.ORDER_FACTS},
)
