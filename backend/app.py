"""Application factory: settings in, a configured Litestar app out, assembled from its domains,
each a plugin (``backend/<domain>/web/plugin.py``; how they plug in: ``backend/web/plugin.py``)."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.datastructures import State
from litestar.plugins.htmx import HTMXPlugin

import backend.models  # noqa: F401 - maps every table, so foreign keys between domains resolve
from backend.auth.web import plugin as auth
from backend.auth.web.guards import PUBLIC
from backend.catalog.web import plugin as catalog
from backend.dashboard.web import plugin as dashboard
from backend.delivery.web import plugin as delivery
from backend.documents.web import plugin as documents
from backend.fulfilment.web import plugin as fulfilment
from backend.inventory.web import plugin as inventory
from backend.invoicing.web import plugin as invoicing
from backend.kernel.db import Database
from backend.kernel.logs import ProcessLogging
from backend.kernel.settings import Settings, from_env
from backend.ops.head import HeadAsGet
from backend.ops.request_log import log_unrouted
from backend.ops.security_headers import security_headers
from backend.ops.web import plugin as ops
from backend.orders.web import plugin as orders
from backend.purchasing.web import plugin as purchasing
from backend.push.web import plugin as push
from backend.pwa.web import plugin as pwa
from backend.realtime.web import plugin as realtime
from backend.returns.web import plugin as returns
from backend.shop.web import plugin as shop
from backend.storefront.web import plugin as storefront
from backend.web import responses as web
from backend.web.api_contract import openapi_config
from backend.web.dependencies import DEPENDENCIES
from backend.web.dependency_order import resolve_one_at_a_time
from backend.web.guard_calls import guards_share_the_handler
from backend.web.input_guard import InputRequest
from backend.web.plugin import DomainPlugin
from backend.web.stack import middleware

# In this order: an event's live fragments are drawn in it, and the plugins' lifespans start in it.
DOMAINS = (
    auth,
    shop,
    catalog,
    inventory,
    purchasing,
    orders,
    fulfilment,
    delivery,
    invoicing,
    documents,
    returns,
    storefront,
    dashboard,
    push,
)
PLUGINS = tuple(package.PLUGIN for package in (*DOMAINS, realtime, pwa, ops))  # with what they share


# The collector's thresholds while serving. With the default (700, 10, 10) a busy server (a
# thousand live sockets, a hundred changes a second) made a young collection every few
# milliseconds, so whatever lived a little longer (a request in flight, a message being sent)
# reached the oldest generation, and full collections, each walking every socket's objects, came
# every second or two: pauses of 100-300 ms for every page and socket. Collecting the young
# generation after 50,000 new objects instead of 700 lets those die young.
GC_THRESHOLDS = (50_000, 20, 10)


# What the served app loads at start lives as long as the process: keep the collector off it
# (short pauses).
def _freeze_heap() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _serving_database(app: Litestar) -> AbstractAsyncContextManager[None]:
    """The database of the app's state, for this start: each start of the app serves afresh."""
    return app.state.db.serving()


def served_app() -> Litestar:
    """The app as ``comptoir serve`` runs it, one per process for the process's whole life, with
    its start-up heap frozen. Only there: a frozen object is never collected, so a process that
    makes and drops apps (the tests make one per test) would keep every one of them."""
    app = create_app()
    app.on_startup.append(_freeze_heap)
    return app


def create_app(settings: Settings | None = None, plugins: Sequence[DomainPlugin] = PLUGINS) -> Litestar:
    settings = settings or from_env()
    resolve_one_at_a_time()
    guards_share_the_handler()
    db = Database(settings.database_url)
    channels = ChannelsPlugin(backend=MemoryChannelsBackend(history=0), arbitrary_channels_allowed=True)
    app = Litestar(
        middleware=middleware(settings),
        plugins=[channels, HTMXPlugin(), *plugins],
        dependencies=DEPENDENCIES,
        state=State({"settings": settings, "db": db}),
        lifespan=[_serving_database],
        exception_handlers=web.EXCEPTION_HANDLERS,
        request_class=InputRequest,
        request_max_body_size=settings.max_body_bytes,
        before_send=[log_unrouted, security_headers(settings)],
        openapi_config=openapi_config(opt=PUBLIC),
        logging_config=ProcessLogging.for_app(settings.log_requests),
        debug=False,
    )
    app.asgi_handler = HeadAsGet(app.asgi_handler)
    return app
