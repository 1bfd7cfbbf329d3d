"""Security headers on every response: pages, API, static files, errors, requests no route took.

The Content-Security-Policy names exactly what the pages load: their own scripts, styles, images
and service worker, the two pinned htmx files on the CDN (with SRI in the page), and the inline
scripts ``assets.htmx_tags`` writes (the CDN's same-origin fallback), allowed by their hashes.
No ``'unsafe-inline'`` and no ``'unsafe-eval'`` for scripts: htmx is told not to evaluate code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.web import assets

if TYPE_CHECKING:
    from litestar.types import BeforeMessageSendHookHandler, Message, Scope

    from backend.kernel.settings import Settings

# A tracking link is its token: the page must not hand its address to whatever it links to.
PRIVATE_PATH_PREFIXES = ("/t/", "/d/")  # tracking links, shared documents
# Swagger UI, the API's documentation, comes from the CDN with an inline script of its own and
# inline styles; it shows the schema and nothing a visitor wrote.
API_DOCS_PREFIX = "/schema"


def _policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


def _common() -> dict[str, list[str]]:
    return {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def page_policy(settings: Settings) -> str:
    source = settings.htmx_source
    map_scripts, map_styles = assets.map_cdn_urls(source)
    scripts = ["'self'", *assets.htmx_cdn_urls(source), *map_scripts, *assets.inline_script_hashes(source)]
    # 'self' covers same-origin sockets in current browsers; the public origin is named for older ones.
    socket = "ws" + settings.origin.removeprefix("http")
    return _policy(
        _common()
        | {
            "script-src": scripts,
            "style-src": ["'self'", *map_styles],
            "img-src": ["'self'", "data:", "blob:", assets.MAP_TILES],  # the delivery map's tiles
            "connect-src": ["'self'", socket],
            "manifest-src": ["'self'"],
            "worker-src": ["'self'"],
        }
    )


def api_docs_policy() -> str:
    cdn = assets.CDN_BASE
    return _policy(
        _common()
        | {
            "script-src": ["'self'", cdn, "'unsafe-inline'"],
            "style-src": ["'self'", cdn, "'unsafe-inline'"],
            "img-src": ["'self'", "data:", "https://cdn.jsdelivr.net"],
        }
    )


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in headers.items()]


def security_headers(settings: Settings) -> BeforeMessageSendHookHandler:
    """A ``before_send`` hook adding the headers to every response that does not set them."""
    common = {"x-content-type-options": "nosniff", "x-frame-options": "DENY"}
    pages = _encoded(
        common | {"content-security-policy": page_policy(settings), "referrer-policy": "same-origin"}
    )
    private = _encoded(
        common | {"content-security-policy": page_policy(settings), "referrer-policy": "no-referrer"}
    )
    docs = _encoded(common | {"content-security-policy": api_docs_policy(), "referrer-policy": "same-origin"})

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path = scope.get("path", "")
        wanted = private if path.startswith(PRIVATE_PATH_PREFIXES) else pages
        if path.startswith(API_DOCS_PREFIX):
            wanted = docs
        present = {name.lower() for name, _ in message.get("headers", [])}
        message["headers"] = [*message.get("headers", []), *(h for h in wanted if h[0] not in present)]

    return add_headers
