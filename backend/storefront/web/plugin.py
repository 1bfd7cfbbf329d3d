"""The storefront in the app: the shop, cart, checkout, tracking and "My orders"; what a shopper's
pages hear of their orders (a tracking page by its token, an account its own orders, each with
the delivery run it waits on)."""

from __future__ import annotations

from backend.auth.rules import Permission, Role
from backend.i18n.translation import N_
from backend.realtime.web.dependencies import ACCOUNT_FOLLOWS
from backend.storefront import my_orders
from backend.storefront.offer_cache import OfferCache
from backend.storefront.run_lookups import RunLookups
from backend.storefront.web import checkout, dependencies, pages, reorder, tracking, tracking_live
from backend.web.navigation import NavItem
from backend.web.plugin import DomainPlugin

PLUGIN = DomainPlugin(
    dependencies=dependencies.DEPENDENCIES,
    name="storefront",
    pages=[*pages.ROUTES, *checkout.ROUTES, *tracking.ROUTES, *tracking_live.ROUTES, *reorder.ROUTES],
    navigation=[NavItem(N_("Shop"), "/shop", "shop", 10, Permission.SHOP_ORDER, frozenset({Role.CUSTOMER}))],
    topic_rules=[tracking_live.TOPIC_RULE, *tracking_live.RUN_TOPIC_RULES, my_orders.TOPIC_RULE],
    topic_templates=dict(
        [tracking_live.TOPIC_TEMPLATE, tracking_live.RUN_TOPIC_TEMPLATE, my_orders.TOPIC_TEMPLATE]
    ),
    extends={ACCOUNT_FOLLOWS: (tracking_live.account_following,)},
    template_globals={**my_orders.TEMPLATE_GLOBALS, **tracking.TEMPLATE_GLOBALS},
    state=lambda site: {"offer": OfferCache(), "run_lookups": RunLookups()},
)
