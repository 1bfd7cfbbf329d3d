"""The fulfilment domain in the app: the API's moves, the pick, pack and hand-over pages, the
carriers' settings and the board, redrawn live as orders move."""

from __future__ import annotations

from backend.auth.rules import Permission
from backend.fulfilment import events
from backend.fulfilment.web import api, board, counter, facts, live, packing, picking, shipping
from backend.i18n.translation import N_
from backend.orders.web.dependencies import ORDER_FACTS
from backend.web.navigation import NavItem
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    name="fulfilment",
    api=api.ROUTES,
    pages=[*board.ROUTES, *picking.ROUTES, *packing.ROUTES, *counter.ROUTES, *shipping.ROUTES],
    navigation=[NavItem(N_("Fulfil"), "/fulfilment", "fulfil", 15, Permission.ORDERS_MANAGE)],
    topic_rules=live.TOPIC_RULES,
    fragments=live.FRAGMENTS,
    quiet=live.QUIET,
    describers=sentences(events.SENTENCES),
    extends={ORDER_FACTS: facts.ORDER_FACTS},  # picked, parcels, carrier, tracking number
)
