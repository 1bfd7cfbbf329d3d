from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from backend.auth.guards import PUBLIC, principal_of, signed_in
from backend.dashboard.service import recent_activity
from backend.realtime.describe import describe
from backend.web import page, see_other

AnyRequest = Request[Any, Any, Any]


@get("/", opt=PUBLIC)
async def home(request: AnyRequest) -> Response[Any] | Template:
    """Visitors are sent to sign in (later, to the shop); people see what happened lately."""
    if request.scope.get("user") is None:
        return see_other("/login")
    principal = principal_of(request)
    activity, newest = await recent_activity(request.app.state.db, principal)
    feed = [(event, describe(event, actor)) for event, actor in activity]
    return page(request, "dashboard/home.html", {"feed": feed, "newest_event_id": newest})


@get("/more", guards=[signed_in])
async def more(request: AnyRequest) -> Template:
    return page(request, "dashboard/more.html")


ROUTES = [home, more]
