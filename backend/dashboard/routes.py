from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from backend.auth.guards import PUBLIC, principal_of, signed_in
from backend.web import page, see_other

AnyRequest = Request[Any, Any, Any]


@get("/", opt=PUBLIC)
async def home(request: AnyRequest) -> Response[Any] | Template:
    """Visitors are sent to sign in (later, to the shop); people see what happened lately."""
    if request.scope.get("user") is None:
        return see_other("/login")
    state = request.app.state
    newest = state.tailer.cursor
    feed_html = await state.feeds.feed_html(state.db, principal_of(request), newest)
    return page(request, "dashboard/home.html", {"feed_html": feed_html, "newest_event_id": newest})


@get("/more", guards=[signed_in])
async def more(request: AnyRequest) -> Template:
    return page(request, "dashboard/more.html")


ROUTES = [home, more]
