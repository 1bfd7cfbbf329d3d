"""The invoicing domain in the app: its API, pages and settings; what it adds to the orders API
(``order_facts``), to an order's page (``order_panels``) and to its acceptance (``order_accepted``:
the hold for payment); what its events redraw on open pages
(``live.py``); and, while the app runs, its reader of
the log (auto-invoices, holds for payment, cash on delivery: ``invoicing/reactions.py``). Other
modules of the domain's web (returns, documents) add their routes to the lists below."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar

from backend.invoicing import events, providers, reactions
from backend.invoicing.consumer import Reactions
from backend.invoicing.web import api, checkout, drafting, facts, forms, live, pages, settings
from backend.orders.web.dependencies import ORDER_ACCEPTED, ORDER_FACTS, ORDER_PANELS
from backend.web.plugin import DomainPlugin, sentences

READER = "invoicing_reactions"  # the process's reader, on the app's state


@contextlib.asynccontextmanager
async def reacting(app: Litestar) -> AsyncIterator[None]:
    task = asyncio.create_task(getattr(app.state, READER).run(app.state.db))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


PLUGIN = DomainPlugin(
    name="invoicing",
    api=[*api.ROUTES, *checkout.API_ROUTES],
    pages=[*pages.ROUTES, *drafting.ROUTES, *settings.ROUTES, *checkout.PAGE_ROUTES],
    routers=[checkout.WEBHOOKS],
    extends={
        ORDER_FACTS: facts.ORDER_FACTS,
        ORDER_PANELS: ("invoicing/_order_slot.html",),
        ORDER_ACCEPTED: (reactions.hold_on_accept,),  # the hold for payment, with the acceptance
    },
    topic_rules=live.TOPIC_RULES,
    fragments=live.FRAGMENTS,
    describers=sentences(events.SENTENCES),
    template_globals={
        "invoice_day": forms.invoice_day,
        "invoice_rate": forms.format_tax_rate,
        "invoicing_touched": live.touched,
    },
    state=lambda site: {READER: Reactions(), checkout.PROVIDER: providers.from_env()},
    dependencies=checkout.DEPENDENCIES,
    lifespan=[reacting],
)
