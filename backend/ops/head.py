"""``HEAD`` answered wherever ``GET`` is, as HTTP asks: the GET's status and headers, no body.

Litestar routes HEAD only to handlers that declare it, and answers 405 elsewhere (link-preview
bots, uptime checks and caches ask HEAD first). Rather than declare it on every handler, which
would also put a HEAD operation beside each GET in the OpenAPI schema, the request is routed as a
GET and its body is dropped on the way out; the request log still shows HEAD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Set in the scope of a HEAD request routed as a GET.
ASKED_HEAD = "comptoir.head"


def method_asked(scope: Scope) -> str:
    return "HEAD" if scope.get(ASKED_HEAD) else scope["method"]  # type: ignore[typeddict-item]


class HeadAsGet:
    """Wraps the app's ASGI handler (inside ``before_send`` hooks, outside routing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope["method"] = "GET"
        scope[ASKED_HEAD] = True  # type: ignore[typeddict-unknown-key]

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {
                    "type": "http.response.body",
                    "body": b"",
                    "more_body": message.get("more_body", False),
                }
            await send(message)

        await self.app(scope, receive, without_body)
