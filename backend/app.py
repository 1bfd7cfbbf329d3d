"""Application factory: settings in, a configured Litestar app out."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from litestar import Litestar, Router
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

import backend.models  # noqa: F401 - maps every table, so foreign keys between domains resolve
from backend.auth.principal_cache import PrincipalCache
from backend.auth.web import api as auth_api
from backend.auth.web import invitations as invitation_routes
from backend.auth.web import pages as auth_routes
from backend.auth.web import team as team_routes
from backend.auth.web import tokens as token_routes
from backend.auth.web.guards import PUBLIC, may_use_api
from backend.auth.web.middleware import AuthenticationMiddleware
from backend.catalog.categories import CategoryCache
from backend.catalog.web import api as catalog_api
from backend.catalog.web import imports as catalog_import_routes
from backend.catalog.web import pages as catalog_routes
from backend.catalog.web.live import register_live_updates as register_catalog_live_updates
from backend.dashboard.service import FeedCache
from backend.dashboard.web import pages as dashboard_routes
from backend.idempotency.web.middleware import IdempotencyMiddleware
from backend.inventory.web import api as inventory_api
from backend.inventory.web import counts as count_routes
from backend.inventory.web import locations as location_routes
from backend.inventory.web import pages as inventory_routes
from backend.inventory.web.live import register_live_updates as register_stock_live_updates
from backend.kernel import logs
from backend.kernel.db import Database
from backend.kernel.settings import Settings, from_env
from backend.ops import compression, maintenance, static_files
from backend.ops import routes as ops_routes
from backend.ops.head import HeadAsGet
from backend.ops.health import DatabaseProbe
from backend.ops.request_log import RequestLogMiddleware, log_unrouted
from backend.ops.security_headers import security_headers
from backend.ops.storage import StorageState
from backend.orders.web import api as orders_api
from backend.orders.web import customers as customer_routes
from backend.orders.web import edit as order_edit_routes
from backend.orders.web import entry as order_entry_routes
from backend.orders.web import imports as order_import_routes
from backend.orders.web import listing as order_list_routes
from backend.orders.web import pages as order_pages
from backend.orders.web import queue as order_queue_routes
from backend.orders.web.live import register_live_updates as register_order_live_updates
from backend.purchasing.web import pages as purchasing_routes
from backend.purchasing.web import suppliers as supplier_routes
from backend.pwa import routes as pwa_routes
from backend.realtime.fragments import quiet
from backend.realtime.routes import live_updates
from backend.realtime.tailer import Tailer
from backend.shop.cache import ShopCache
from backend.shop.web import pages as shop_routes
from backend.storefront import my_orders
from backend.storefront.offer_cache import OfferCache
from backend.storefront.web import checkout as checkout_routes
from backend.storefront.web import pages as storefront_routes
from backend.storefront.web import tracking as tracking_routes
from backend.storefront.web import tracking_live
from backend.web import responses as web
from backend.web import templating
from backend.web.input_guard import InputGuardMiddleware, InputRequest

API_PREFIX = "/api/v1"


def _api_router() -> Router:
    handlers = [*auth_api.ROUTES, *catalog_api.ROUTES, *inventory_api.ROUTES, *orders_api.ROUTES]
    return Router(path=API_PREFIX, route_handlers=handlers, tags=["api"], guards=[may_use_api])


def _pages_router() -> Router:
    """Everything a browser navigates to; only the API belongs in the OpenAPI schema."""
    handlers = [
        *auth_routes.ROUTES,
        *team_routes.ROUTES,
        *invitation_routes.ROUTES,
        *token_routes.ROUTES,
        *dashboard_routes.ROUTES,
        *order_queue_routes.ROUTES,
        *shop_routes.ROUTES,
        *storefront_routes.ROUTES,
        *checkout_routes.ROUTES,
        *tracking_routes.ROUTES,
        *tracking_live.ROUTES,
        *customer_routes.ROUTES,
        *order_entry_routes.ROUTES,
        *order_import_routes.ROUTES,
        *order_list_routes.ROUTES,
        *catalog_routes.ROUTES,
        *catalog_import_routes.ROUTES,
        *inventory_routes.ROUTES,
        *count_routes.ROUTES,
        *location_routes.ROUTES,
        *purchasing_routes.ROUTES,
        *supplier_routes.ROUTES,
        *order_pages.ROUTES,
        *order_edit_routes.ROUTES,
        *ops_routes.ROUTES,
        *pwa_routes.ROUTES,
        live_updates,
    ]
    return Router(path="/", route_handlers=handlers, include_in_schema=False)


def _lifespan(
    settings: Settings, db: Database, channels: ChannelsPlugin
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        shop: ShopCache = app.state.shop
        await shop.load(db)
        tailer = Tailer(db, channels, settings.tailer_poll_seconds, lambda: shop.current.timezone)
        tailer.observers.append(shop.on_event)
        tailer.observers.append(app.state.principals.on_event)
        tailer.observers.append(app.state.categories.on_event)
        tailer.observers.append(app.state.offer.on_event)
        db.on_commit(app.state.categories.on_commit)
        db.on_commit(app.state.offer.on_commit)
        db.on_commit(lambda session: tailer.wake() if session.info.get("events_recorded") else None)
        # Off the event loop: the first writer process waits for the fork server to import the app.
        await asyncio.to_thread(db.start_writer)
        await tailer.start()
        app.state.tailer = tailer
        app.state.housekept = asyncio.Event()
        housekeeping = asyncio.create_task(
            maintenance.run_forever(db, app.state.housekept), name="housekeeping"
        )
        # Everything loaded so far lives as long as the process: keep the collector off it, so its
        # pauses stay short under load.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await housekeeping
            await tailer.stop()
            await db.dispose()

    return lifespan


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or from_env()
    register_catalog_live_updates()
    register_stock_live_updates()
    register_order_live_updates()
    tracking_live.register_live_updates()
    my_orders.register_live_updates()
    quiet("user.signed_out")
    db = Database(settings.database_url)
    channels = ChannelsPlugin(backend=MemoryChannelsBackend(history=0), arbitrary_channels_allowed=True)
    csrf = CSRFConfig(
        secret=settings.secret_key, cookie_secure=settings.is_https, exclude=[f"^{API_PREFIX}/"]
    )
    middleware = [
        RequestLogMiddleware(),
        compression.MIDDLEWARE,  # outside the idempotency middleware: see backend/ops/compression.py
        AuthenticationMiddleware(),
        InputGuardMiddleware(),
        DefineMiddleware(CSRFMiddleware, config=csrf),
        IdempotencyMiddleware(),
    ]
    app = Litestar(
        route_handlers=[_api_router(), static_files.router(), _pages_router()],
        middleware=middleware,
        plugins=[channels, HTMXPlugin()],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(templating.environment())),
        exception_handlers=web.EXCEPTION_HANDLERS,
        request_class=InputRequest,
        lifespan=[_lifespan(settings, db, channels)],
        request_max_body_size=settings.max_body_bytes,
        before_send=[log_unrouted, security_headers(settings)],
        openapi_config=OpenAPIConfig(
            title="Comptoir API",
            version="1",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC, include_in_schema=False),
        ),
        logging_config=logs.ProcessLogging(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            loggers={"comptoir.access": {"level": "INFO" if settings.log_requests else "WARNING"}},
            log_exceptions="never",
        ),
        debug=False,
    )
    app.asgi_handler = HeadAsGet(app.asgi_handler)
    app.state.settings = settings
    app.state.db = db
    app.state.shop = ShopCache()
    app.state.principals = PrincipalCache()
    app.state.categories = CategoryCache()
    app.state.offer = OfferCache()
    app.state.feeds = FeedCache()
    app.state.storage = StorageState()
    app.state.health = DatabaseProbe(app.state.storage)
    return app
