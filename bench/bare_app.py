"""The ceiling: a bare Litestar app (no middleware, no database) served the way ``comptoir serve`` serves.

Every figure of the real app is reported as a ratio of this one, measured in the same run, because
absolute requests/s on a small, shared machine say more about the machine than about Comptoir.

Run: ``python bench/bare_app.py --port 8100``
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from litestar import Litestar, MediaType, get, post

# About the size of the signed-in home page with the demo data (~4 KB), so both send as many bytes.
_FEED = "".join(
    f'<li class="feed__item" data-event-id="{n}">\n  <span>Someone did something number {n}</span>\n'
    f'  <time datetime="2026-11-28T04:47:38+00:00" class="muted">Nov 28, 2026, 4:47:38 AM</time>\n</li>'
    for n in range(21)
)
PAGE = (
    '<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <title>Home · Comptoir</title>\n'
    f'</head>\n<body>\n  <main id="main" class="page">\n    <ol class="feed">{_FEED}</ol>\n  </main>\n'
    "</body>\n</html>\n"
)


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/page", media_type=MediaType.HTML)
async def page() -> str:
    return PAGE


@post("/orders", status_code=201)
async def orders(data: dict[str, Any]) -> dict[str, Any]:
    """The JSON API's ceiling: decode a body, answer a small JSON object (what POST /api/v1/orders
    sends back, without any of the work)."""
    return {
        "id": 1,
        "number": "ORD-0",
        "status": "placed",
        "total_minor": 0,
        "currency": "EUR",
        "lines": len(data),
    }


def create_app() -> Litestar:
    return Litestar(route_handlers=[health, page, orders], debug=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    # Same options as `comptoir serve` in backend/cli.py: keep the two in step.
    uvicorn.run(
        create_app,
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        proxy_headers=False,
        access_log=False,
        http="httptools",  # a third more pages a second than the pure-Python parser
        ws="websockets-sansio",
        log_level="warning",
    )


if __name__ == "__main__":
    main()
