"""What the orders domain gives handlers: who acts on orders (``actor: CurrentActor``)."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency, Provide
from litestar.types import Scope

from backend.auth.principal import Principal
from backend.auth.rules import Role
from backend.orders.rules import Actor
from backend.web.dependencies import GIVEN

CurrentActor = Annotated[NamedDependency[Actor], GIVEN]


def provide_actor(scope: Scope) -> Actor:
    """Who acts on orders: a signed-in account, or an anonymous visitor (``Actor(None)``)."""
    principal: Principal | None = scope.get("user")
    if principal is None:
        return Actor(None)
    return Actor(principal.user_id, principal.permissions, is_customer=principal.role == Role.CUSTOMER)


DEPENDENCIES = {"actor": Provide(provide_actor, sync_to_thread=False)}
