"""Answers compressed for the clients that accept it: brotli, else gzip (Litestar's compression).

Only text is compressed: HTML, CSS, JavaScript, JSON, SVG, CSV. Images and photos are compressed
already, so a second pass would cost time and save nothing.

The middleware runs among the app's own middleware, just inside the request log, rather than from
Litestar's ``compression_config``, which wraps each route handler inside all of them: every answer,
a replay of an idempotent request included (its handler renders it again from the stored result),
is compressed here for the client that asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import CompressionEncoding
from litestar.middleware import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware

if TYPE_CHECKING:
    from litestar.types import Message, Receive, Scope, Send

TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/manifest+json")
TEXT_SUFFIXES = ("javascript", "+json", "+xml")


def compressible(message: Message) -> bool:
    """Whether a response (its start message) is text that nothing has encoded yet."""
    headers = MutableScopeHeaders(message)
    media_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if headers.get("content-encoding") or not media_type:
        return False
    return media_type.startswith(TEXT_TYPES) or media_type.endswith(TEXT_SUFFIXES)


def _varying(send: Send) -> Send:
    """Text sent as it is still says it depends on Accept-Encoding: a shared cache must not hand
    this copy to a client that asked for a compressed one, nor the other way round."""

    async def vary(message: Message) -> None:
        if message["type"] == "http.response.start" and compressible(message):
            headers = MutableScopeHeaders(message)
            if "accept-encoding" not in (headers.get("vary") or "").lower():
                headers.extend_header_value("vary", "Accept-Encoding")
        await send(message)

    return vary


class TextCompressionMiddleware(CompressionMiddleware):
    """Litestar's compression, for the responses that ``compressible`` accepts only."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, _varying(send) if scope["type"] == "http" else send)

    def create_compression_send_wrapper(
        self,
        send: Send,
        compression_encoding: Literal[CompressionEncoding.BROTLI, CompressionEncoding.GZIP] | str,
        scope: Scope,
    ) -> Send:
        compressing = super().create_compression_send_wrapper(send, compression_encoding, scope)
        chosen = send

        async def choose(message: Message) -> None:
            nonlocal chosen
            if message["type"] == "http.response.start":
                chosen = compressing if compressible(message) else send
            await chosen(message)

        return choose


CONFIG = CompressionConfig(
    backend="brotli",
    brotli_gzip_fallback=True,
    # Quicker settings than the defaults, for pages rendered per request: about 0.3 ms for 30 KB
    # of HTML, nearly the size the slowest settings reach.
    brotli_quality=4,
    brotli_lgwin=18,
    gzip_compress_level=5,
    minimum_size=1024,  # shorter answers fit in a packet or two anyway
    middleware_class=TextCompressionMiddleware,
)

MIDDLEWARE = DefineMiddleware(TextCompressionMiddleware, config=CONFIG)
