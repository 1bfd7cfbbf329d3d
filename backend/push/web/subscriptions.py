"""``/push``: the VAPID public key, and a browser's subscription kept or forgotten.

These are the browser's own endpoints, beside the pages (not the bearer-token API under
``/api/v1``): they take the session cookie and the CSRF header of the page that asks, or a
tracking link's token, which subscribes to that one order only.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from backend.auth.principal import Principal
from backend.auth.web.guards import PUBLIC
from backend.i18n.translation import N_, current_locale, gettext
from backend.kernel.db import Database
from backend.push import devices, service
from backend.push.service import BrowserSubscription, Owner, PushRefused, SubscriptionNotFound
from backend.push.web.dependencies import PushState
from backend.push.web.schemas import KeyOut, SubscribedOut, SubscriptionIn, UnsubscribeIn
from backend.storefront import tracking
from backend.web.dependencies import AppDb
from backend.web.responses import problem

AnyRequest = Request[Any, Any, Any]

PROBLEMS = {
    "invalid_endpoint": N_("This is not a push service's address."),
    "invalid_key": N_("This key is not one a browser makes."),
    "nothing_to_hear": N_("There is nothing this account can be told of."),
    "not_allowed": N_("None of these notifications is open to this account."),
}


class NoOwner(Exception):
    """Neither signed in nor holding a tracking link that still works."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def _owner(request: AnyRequest, db: Database, token: str | None) -> Owner:
    """Whose subscription it is: a tracking link's order (that order only), else the person."""
    if token:
        async with db.read() as session:
            order_id = await tracking.tracked_order_id(session, token)
        if order_id is None:
            raise NoOwner(404)
        return Owner(order_id=order_id)
    principal: Principal | None = request.scope.get("user")
    if principal is None:
        raise NoOwner(401)
    return Owner(user_id=principal.user_id)


def _no_owner(exc: NoOwner) -> Response[Any]:
    if exc.status == 404:
        return problem(404, gettext("No order has this tracking link, or it no longer works."))
    return problem(401, gettext("Sign in, or open your order's tracking link, to be told of it."))


def _refused(exc: PushRefused) -> Response[Any]:
    errors = {field: gettext(PROBLEMS.get(code, code)) for field, code in exc.problems.items()}
    return problem(422, gettext("This subscription cannot be kept."), errors=errors, codes=exc.problems)


@get("/push/key", opt=PUBLIC, cache_control=None)
async def public_key(push: PushState) -> KeyOut:
    """What the browser's ``pushManager.subscribe`` takes as ``applicationServerKey``."""
    if push.keys is None:
        raise RuntimeError("the push plugin has not started")
    return KeyOut(push.keys.public_key)


@post("/push/subscriptions", opt=PUBLIC, status_code=HTTP_201_CREATED)
async def subscribe(request: AnyRequest, db: AppDb, push: PushState, data: JSONBody[SubscriptionIn]) -> Any:
    try:
        owner = await _owner(request, db, data.token)
    except NoOwner as exc:
        return _no_owner(exc)
    kinds = None if data.kinds is None else tuple(data.kinds)
    browser = BrowserSubscription(
        data.endpoint, data.keys.p256dh, data.keys.auth, current_locale.get(), kinds
    )
    local = push.loopback_only
    try:
        subscription_id = await db.run(service.subscribe, owner, browser, local, local)
    except PushRefused as exc:
        return _refused(exc)
    except SubscriptionNotFound:
        return _no_owner(NoOwner(404 if owner.order_id else 401))
    async with db.read() as session:
        kept = await devices.kinds_of(session, subscription_id)
    return SubscribedOut(subscription_id, kept, owner.order_id)


@delete("/push/subscriptions", opt=PUBLIC, status_code=200)  # 204 when forgotten, a problem otherwise
async def unsubscribe(request: AnyRequest, db: AppDb, data: JSONBody[UnsubscribeIn]) -> Response[Any]:
    """Forget this browser's subscription; forgetting one already gone is not an error."""
    try:
        owner = await _owner(request, db, data.token)
    except NoOwner as exc:
        return _no_owner(exc)
    await db.run(service.unsubscribe, owner, data.endpoint)
    return Response(None, status_code=204)


ROUTES = [public_key, subscribe, unsubscribe]
