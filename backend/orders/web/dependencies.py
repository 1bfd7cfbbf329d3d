"""What the orders domain gives handlers: who acts on orders (``actor: CurrentActor``), and the
facts the domains above add to an order read through the API (``order_facts: OrderFactsSources``).

Order facts are an extension point (``web.dependencies.extension``): a plugin above orders lists
its sources in ``DomainPlugin.extends["order_facts"]``; each is ``async (session, order_id) ->
{field: value}`` and its fields are ``OrderDetailOut``'s (invoicing: ``paid_minor`` and
``balance_minor``). Orders calls them without knowing who they are.

``order_accepted`` is another: steps (``service.AcceptStep``) an acceptance runs in its own
transaction, given to ``transition_order`` by the handlers that accept (invoicing: the hold for
payment of an order to be paid before it leaves).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from litestar.di import NamedDependency, Provide
from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.auth.rules import Role
from backend.orders.rules import Actor
from backend.orders.service import AcceptStep
from backend.web.dependencies import GIVEN, extension

CurrentActor = Annotated[NamedDependency[Actor], GIVEN]
ORDER_FACTS = "order_facts"
# Templates the order page includes after its own sections (``extension("order_panels")``), each
# given the page's context: how a domain above orders shows its part of an order.
ORDER_PANELS = "order_panels"
OrderFacts = Callable[[AsyncSession, int], Awaitable[Mapping[str, Any]]]
OrderFactsSources = Annotated[NamedDependency[tuple[OrderFacts, ...]], GIVEN]
ORDER_ACCEPTED = "order_accepted"
AcceptSteps = Annotated[NamedDependency[tuple[AcceptStep, ...]], GIVEN]


def provide_actor(scope: Scope) -> Actor:
    """Who acts on orders: a signed-in account, or an anonymous visitor (``Actor(None)``)."""
    principal: Principal | None = scope.get("user")
    if principal is None:
        return Actor(None)
    return Actor(principal.user_id, principal.permissions, is_customer=principal.role == Role.CUSTOMER)


DEPENDENCIES = {
    "actor": Provide(provide_actor, sync_to_thread=False),
    ORDER_FACTS: extension(ORDER_FACTS),
    ORDER_ACCEPTED: extension(ORDER_ACCEPTED),
}
