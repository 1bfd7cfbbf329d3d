"""What every request passes through, outermost first: the order spans several domains, so it is
written once here rather than by any one of them."""

from __future__ import annotations

from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Middleware

from backend.auth.web.middleware import AuthenticationMiddleware
from backend.idempotency.web.middleware import IdempotencyMiddleware
from backend.kernel.settings import Settings
from backend.ops import compression
from backend.ops.request_log import RequestLogMiddleware
from backend.web.input_guard import InputGuardMiddleware
from backend.web.plugin import API_PREFIX


def middleware(settings: Settings) -> list[Middleware]:
    csrf = CSRFConfig(
        secret=settings.secret_key, cookie_secure=settings.is_https, exclude=[f"^{API_PREFIX}/"]
    )
    return [
        RequestLogMiddleware(),
        compression.MIDDLEWARE,  # outside the idempotency middleware: see backend/ops/compression.py
        AuthenticationMiddleware(),
        InputGuardMiddleware(),
        DefineMiddleware(CSRFMiddleware, config=csrf),
        IdempotencyMiddleware(),
    ]
