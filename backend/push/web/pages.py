"""The "me" page's notification settings: the person's devices, the kinds each is told, each
switchable, and a device removed. A section of its own (``/me/notifications``) that the "me" page
loads into itself, and a page of its own without JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.auth.principal import Principal
from backend.auth.web.guards import signed_in
from backend.i18n.translation import N_
from backend.kernel.db import Database
from backend.push import devices, rules, service
from backend.push.rules import KIND_LABELS, Kind, Listener
from backend.push.service import Owner, SubscriptionNotFound
from backend.web.dependencies import AppDb, CurrentPrincipal
from backend.web.responses import is_htmx, page, see_other

AnyRequest = Request[Any, Any, Any]
SETTINGS = "/me/notifications"

# Which browser a push service stands for: the endpoint itself is a secret and is never shown.
SERVICES = (
    ("fcm.googleapis.com", N_("Chrome, Edge or another Chromium browser")),
    ("push.services.mozilla.com", N_("Firefox")),
    ("push.apple.com", N_("Safari")),
    ("notify.windows.com", N_("Edge on Windows")),
)
OTHER_SERVICE = N_("A browser")


def service_label(host: str) -> str:
    for suffix, label in SERVICES:
        if host == suffix or host.endswith("." + suffix):
            return label
    return OTHER_SERVICE


def _kinds_open_to(principal: Principal) -> list[tuple[str, str]]:
    listener = Listener(
        frozenset(), user_id=principal.user_id, role=principal.role, permissions=principal.permissions
    )
    allowed = rules.kinds_allowed(listener)
    return [(kind.value, KIND_LABELS[kind]) for kind in Kind if kind in allowed]


async def _section(
    request: AnyRequest, db: Database, principal: Principal, *, saved: str | None = None, status: int = 200
) -> Template:
    async with db.read() as session:
        found = await devices.devices_of(session, principal.user_id)
    context = {
        "devices": [(device, service_label(device.service)) for device in found],
        "kinds": _kinds_open_to(principal),
        "saved": saved,
    }
    return page(
        request, "push/notifications.html", context, fragment="push/_devices.html", status_code=status
    )


async def _after(request: AnyRequest, db: Database, principal: Principal, saved: str) -> Any:
    if is_htmx(request):
        return await _section(request, db, principal, saved=saved)
    return see_other(f"{SETTINGS}?saved={saved}")


@get(SETTINGS, guards=[signed_in])
async def settings_section(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, saved: FromQuery[str | None] = None
) -> Template:
    return await _section(request, db, principal, saved=saved if saved in ("kinds", "removed") else None)


def _chosen(values: Sequence[object]) -> list[str]:
    return [value for value in values if isinstance(value, str)][:32]


@post(SETTINGS + "/{device_id:int}", guards=[signed_in])
async def choose_kinds(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, device_id: FromPath[int]
) -> Response[Any] | Template:
    form = await request.form()
    try:
        owner = Owner(user_id=principal.user_id)
        await db.run(service.set_kinds, owner, device_id, _chosen(form.getall("kinds", [])))
    except SubscriptionNotFound:
        raise NotFoundException() from None
    return await _after(request, db, principal, "kinds")


@post(SETTINGS + "/{device_id:int}/remove", guards=[signed_in])
async def remove_device(
    request: AnyRequest, db: AppDb, principal: CurrentPrincipal, device_id: FromPath[int]
) -> Response[Any] | Template:
    await db.run(service.forget_device, Owner(user_id=principal.user_id), device_id)
    return await _after(request, db, principal, "removed")


ROUTES = [settings_section, choose_kinds, remove_device]
