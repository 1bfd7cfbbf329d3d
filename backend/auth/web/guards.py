"""Route rules. Every route declares one: a guard from here, or the explicit ``PUBLIC`` marker."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard, Scope

from backend.auth.principal import Principal
from backend.auth.rules import Permission, Role
from backend.i18n.translation import N_

PUBLIC: dict[str, Any] = {"public": True}


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    return principal_in(connection.scope)


def principal_in(scope: Scope) -> Principal:
    """Who the authentication middleware found; 401 when no one."""
    principal = scope.get("user")
    if principal is None:
        if scope.get("auth") == "invalid_token":
            raise NotAuthorizedException(N_("The bearer token is missing, revoked or wrong."))
        raise NotAuthorizedException(N_("Please sign in"))
    return principal


# Guards are coroutines: Litestar runs a plain function guard in a worker thread, a round trip
# through the thread pool on every request for what is a set comparison.


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    principal_of(connection)


async def customer_account(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A customer's own pages ("My orders"): orders are linked to customer accounts only."""
    if principal_of(connection).role != Role.CUSTOMER:
        raise PermissionDeniedException(N_("This page is for customer accounts."))


def requires(*permissions: Permission) -> Guard:
    """A guard that lets through only principals holding every one of ``permissions``."""
    needed = frozenset(permissions)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        if not needed <= principal.permissions:
            raise PermissionDeniedException(N_("You are not allowed to do that"))

    guard.__name__ = "requires_" + "_".join(sorted(p.value for p in needed))
    guard.__qualname__ = guard.__name__
    return guard


async def may_use_api(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Every API route: a token works only while its account holds ``api.use``."""
    if not principal_of(connection).can(Permission.API_USE):
        raise PermissionDeniedException(N_("This account may not use the API."))


def is_public(handler: BaseRouteHandler) -> bool:
    return bool(handler.opt.get("public"))


def is_automatic_options(handler: BaseRouteHandler) -> bool:
    """The OPTIONS answer the framework adds to each path; it only lists the allowed methods."""
    return getattr(handler, "http_methods", None) == {"OPTIONS"} and handler.handler_name == "options_handler"


def has_rule(handler: BaseRouteHandler) -> bool:
    return is_public(handler) or bool(handler.resolve_guards()) or is_automatic_options(handler)
