from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import File, Template

from backend.auth.web.guards import PUBLIC
from backend.pwa.worker import manifest_source, service_worker_source
from backend.web import assets
from backend.web.responses import page


@get("/manifest.webmanifest", opt=PUBLIC, include_in_schema=False)
async def manifest() -> Response[str]:
    return Response(manifest_source(), media_type="application/manifest+json")


@get("/sw.js", opt=PUBLIC, include_in_schema=False)
async def service_worker() -> Response[str]:
    # Never cached by HTTP: a new deployment must reach phones at their next visit.
    return Response(
        service_worker_source(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@get("/offline", opt=PUBLIC, include_in_schema=False)
async def offline(request: Request[Any, Any, Any]) -> Template:
    return page(request, "pwa/offline.html")


@get("/favicon.ico", opt=PUBLIC, include_in_schema=False)
async def favicon() -> File:
    return File(
        assets.STATIC_DIR / "icons" / "favicon.ico",
        media_type="image/x-icon",
        content_disposition_type="inline",
    )


ROUTES = [manifest, service_worker, offline, favicon]
