"""The tracking page a shopper lands on after checkout (or opens from a link the shop shared, or
from "My orders"), calling the order off and rating it from there, and the photo left at the door.

The page is private to whoever holds the link: never stored by caches on the way, never indexed,
and its address is never sent on as a referrer (``ops.security_headers``). A link stops working
``tracking_days`` after the order is done (410).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_time
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.web import forms as auth_forms
from backend.auth.web.guards import PUBLIC, customer_account, signed_in
from backend.delivery import proofs
from backend.fulfilment.rules import pickup_key
from backend.i18n.translation import N_, babel_locale, current_locale, current_timezone, gettext
from backend.kernel.db import Database, utcnow
from backend.kernel.settings import Settings
from backend.orders import ratings
from backend.orders.drafts import OrderRejected
from backend.orders.errors import OrderForbidden, OrderNotFound, StaleOrder, TransitionRefused
from backend.orders.rules import MESSAGES, Actor
from backend.orders.service import cancel_order
from backend.orders.web.dependencies import CurrentActor
from backend.storefront import progress, tracking
from backend.web.dependencies import AppDb, AppSettings
from backend.web.qr import qr_data_uri
from backend.web.responses import FormErrors, page, see_other

AnyRequest = Request[Any, Any, Any]

TOO_LATE = N_(
    "The shop has started on your order: it can no longer be cancelled here. Please contact the shop."
)
MY_ORDERS = "/my/orders"
CHANGED = N_("Your order changed in the meantime: nothing was done. Here it is as it is now.")
# What no cache on the way keeps and no search engine lists.
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


class LinkExpired(Exception):
    """The order was done long enough ago that its tracking link no longer works."""


async def _tracked(db: Database, token: str) -> tracking.Tracked:
    async with db.read() as session:
        order = await tracking.tracked_order(session, token)
    if order is None:
        raise NotFoundException(N_("No order has this tracking link."))
    if order.link_expired(utcnow()):
        raise LinkExpired
    return order


async def _own(db: Database, actor: Actor, order_id: int) -> tracking.Tracked:
    async with db.read() as session:
        order = await tracking.own_order(session, order_id, actor.user_id)
    if order is None:
        raise NotFoundException(N_("You have no order with this number."))
    return order


class Viewer(NamedTuple):
    """Who opens a tracking page, with what answering them takes."""

    request: AnyRequest
    db: Database
    actor: Actor
    settings: Settings


async def _tracking_page(
    viewer: Viewer,
    order: tracking.Tracked,
    path: str,
    *,
    placed: bool = False,
    errors: FormErrors | None = None,
    rating_form: Mapping[str, str] | None = None,
    status: int = 200,
) -> Template:
    request, db, actor, settings = viewer
    now = utcnow()
    async with db.read() as session:
        found = await progress.progress_of(session, order, pickup_key(settings.secret_key), now)
    context = {
        "order": order,
        "progress": found,
        "milestones": tracking.milestones(order),
        "pickup_qr": qr_data_uri(found.pickup_code, scale=6) if found.pickup_code else None,
        "rating_form": rating_form or _rating_values(found),
        "seen_at": now,
        "ratable": ratings.RATABLE,
        "rated": request.query_params.get("rated") == "1",
        "placed": placed,
        "path": path,
        # Reached from "My orders", the page follows the order over the account's own socket.
        "by_account": path.startswith(MY_ORDERS),
        "tracking_url": str(request.url.with_replacements(path=path, query="")),
        "status_labels": tracking.STATUS_LABELS,
        "step_labels": tracking.STEP_LABELS,
        "may_cancel": tracking.may_cancel(order, actor),
        "errors": errors or FormErrors(),
        "idempotency_key": uuid.uuid4().hex,  # fresh each time: a corrected form is a new request
    }
    return page(request, "storefront/track.html", context, status_code=status, headers=PRIVATE)


def clock(moment: datetime) -> str:
    """The time of day only, in the shop's zone and the reader's language ("14:10", "2:10 PM"):
    a delivery window is today's."""
    locale = babel_locale(current_locale.get())
    return format_time(moment, "short", tzinfo=ZoneInfo(current_timezone.get()), locale=locale)


TEMPLATE_GLOBALS = {"clock": clock}


def _rating_values(found: progress.Progress) -> dict[str, str]:
    rating = found.rating
    if rating is None:
        return {"stars": "", "comment": "", "version": "0"}
    return {"stars": str(rating.stars), "comment": rating.comment, "version": str(rating.version)}


def link_gone(request: AnyRequest, _: LinkExpired) -> Template:
    """An expired link: said plainly, with the way back to the shop."""
    return page(request, "storefront/track_gone.html", {}, status_code=410, headers=PRIVATE)


@get("/t/{token:str}", opt=PUBLIC, exception_handlers={LinkExpired: link_gone})
async def tracking_page(
    request: AnyRequest,
    *,
    db: AppDb,
    actor: CurrentActor,
    settings: AppSettings,
    token: FromPath[str],
    placed: FromQuery[bool] = False,
) -> Template:
    order = await _tracked(db, token)
    return await _tracking_page(Viewer(request, db, actor, settings), order, f"/t/{token}", placed=placed)


@get(MY_ORDERS + "/{order_id:int}", guards=[customer_account])
async def own_order_page(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings, order_id: FromPath[int]
) -> Template:
    """The tracking page of one of the signed-in customer's orders, found from "My orders": the
    link with its token was shown once, at checkout, and only its hash is kept."""
    order = await _own(db, actor, order_id)
    return await _tracking_page(Viewer(request, db, actor, settings), order, f"{MY_ORDERS}/{order_id}")


Refusal = OrderForbidden | OrderRejected | StaleOrder | TransitionRefused


def _refused(exc: Refusal) -> tuple[FormErrors, int]:
    if isinstance(exc, OrderRejected):  # the reason: missing or too long
        code = next(iter(exc.problems.values()))
        return FormErrors({"reason": gettext(MESSAGES.get(code, code))}), 400
    if isinstance(exc, StaleOrder):
        return FormErrors(general=[gettext(CHANGED)]), 409
    # Their own order, which customers may no longer call off: the shop has started on it.
    return FormErrors(general=[gettext(TOO_LATE)]), 409


Load = Callable[[], Awaitable[tracking.Tracked]]


async def _cancel(viewer: Viewer, load: Load, path: str) -> Response[Any] | Template:
    """The customer calls their own order off, with a reason, until the shop accepts it."""
    request, db, actor, _ = viewer
    form = await request.form()
    order = await load()
    version = auth_forms.version(form, FormErrors())
    if version is None:
        errors = FormErrors(general=[auth_forms.message("bad_version")])
        return await _tracking_page(viewer, order, path, errors=errors, status=400)
    reason = auth_forms.text(form, "reason", 1000)
    try:
        await cancel_order(db, actor, order.id, reason, version=version)
    except OrderNotFound:
        raise NotFoundException(N_("No order has this tracking link.")) from None
    except (OrderForbidden, OrderRejected, StaleOrder, TransitionRefused) as exc:
        if isinstance(exc, OrderForbidden) and not tracking.is_own(order, actor):
            raise PermissionDeniedException(N_("You are not allowed to do that")) from None
        errors, status = _refused(exc)
        return await _tracking_page(viewer, await load(), path, errors=errors, status=status)
    return see_other(path)


@post("/t/{token:str}/cancel", guards=[signed_in], exception_handlers={LinkExpired: link_gone})
async def cancel_from_tracking(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings, token: FromPath[str]
) -> Response[Any] | Template:
    return await _cancel(Viewer(request, db, actor, settings), lambda: _tracked(db, token), f"/t/{token}")


@post(MY_ORDERS + "/{order_id:int}/cancel", guards=[customer_account])
async def cancel_own_order(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings, order_id: FromPath[int]
) -> Response[Any] | Template:
    load = lambda: _own(db, actor, order_id)  # noqa: E731 - read again after a refusal
    return await _cancel(Viewer(request, db, actor, settings), load, f"{MY_ORDERS}/{order_id}")


RATING_MESSAGES = {
    "stars_out_of_range": N_("Choose from 1 to 5 stars."),
    "comment_too_long": N_("Keep your comment under 1,000 characters."),
    "not_received": N_("You can rate your order once you have it."),
}
RATING_CHANGED = N_("Your rating was changed meanwhile (on another screen?): here it is as it is now.")


def _rating_input(order_id: int, form: Mapping[str, Any]) -> tuple[ratings.RatingInput, dict[str, str]]:
    raw = {name: str(form.get(name) or "").strip() for name in ("stars", "comment", "version")}
    stars = int(raw["stars"]) if raw["stars"].isdigit() and len(raw["stars"]) < 3 else None
    version = int(raw["version"]) if raw["version"].isdigit() and len(raw["version"]) < 10 else -1
    return ratings.RatingInput(order_id, stars, raw["comment"], version), raw


async def _rate(viewer: Viewer, load: Load, path: str) -> Response[Any] | Template:
    """The customer rates their delivered or collected order, or changes their rating."""
    order = await load()
    wanted, typed = _rating_input(order.id, await viewer.request.form())
    try:
        await viewer.db.run(ratings.rate_order, wanted)
    except ratings.RatingRefused as exc:
        errors = FormErrors()
        for name, code in exc.problems.items():
            errors.add(None if name == "general" else name, gettext(RATING_MESSAGES[code]))
        status = 409 if "general" in exc.problems else 400
        return await _tracking_page(viewer, order, path, errors=errors, rating_form=typed, status=status)
    except ratings.StaleRating:
        errors = FormErrors(general=[gettext(RATING_CHANGED)])
        return await _tracking_page(viewer, await load(), path, errors=errors, status=409)
    return see_other(f"{path}?rated=1#rating")


@post("/t/{token:str}/rating", opt=PUBLIC, exception_handlers={LinkExpired: link_gone})
async def rate_from_tracking(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings, token: FromPath[str]
) -> Response[Any] | Template:
    """Whoever holds the link may rate: it is the customer's (the checkout showed it to them, or
    the shop handed it on to them)."""
    return await _rate(Viewer(request, db, actor, settings), lambda: _tracked(db, token), f"/t/{token}")


async def _own_working(db: Database, actor: Actor, order_id: int) -> tracking.Tracked:
    order = await _own(db, actor, order_id)
    if order.link_expired(utcnow()):
        raise LinkExpired
    return order


@post(
    MY_ORDERS + "/{order_id:int}/rating",
    guards=[customer_account],
    exception_handlers={LinkExpired: link_gone},
)
async def rate_own_order(
    request: AnyRequest, db: AppDb, actor: CurrentActor, settings: AppSettings, order_id: FromPath[int]
) -> Response[Any] | Template:
    load = lambda: _own_working(db, actor, order_id)  # noqa: E731 - read again after a refusal
    return await _rate(Viewer(request, db, actor, settings), load, f"{MY_ORDERS}/{order_id}")


async def _proof(db: Database, settings: Settings, order: tracking.Tracked) -> Response[bytes]:
    """The photo left at the door of this order, and no other: its hash is read from the order's
    own stop, never taken from the request."""
    async with db.read() as session:
        digest = await progress.proof_photo_of(session, order.id)
    stored = proofs.read(settings.delivery_proof_dir, digest) if digest else None
    if stored is None:
        raise NotFoundException(N_("No photo was taken at the door for this order."))
    content, media_type = stored
    return Response(content, media_type=media_type, headers={**PRIVATE, "Cache-Control": "private, no-store"})


@get("/t/{token:str}/proof", opt=PUBLIC, exception_handlers={LinkExpired: link_gone})
async def proof_from_tracking(db: AppDb, settings: AppSettings, token: FromPath[str]) -> Response[bytes]:
    return await _proof(db, settings, await _tracked(db, token))


@get(MY_ORDERS + "/{order_id:int}/proof", guards=[customer_account])
async def proof_of_own_order(
    db: AppDb, actor: CurrentActor, settings: AppSettings, order_id: FromPath[int]
) -> Response[bytes]:
    return await _proof(db, settings, await _own(db, actor, order_id))


ROUTES = [
    tracking_page,
    own_order_page,
    cancel_from_tracking,
    cancel_own_order,
    rate_from_tracking,
    rate_own_order,
    proof_from_tracking,
    proof_of_own_order,
]
