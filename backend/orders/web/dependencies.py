"""What the orders domain gives handlers: who acts on orders (``actor: CurrentActor``), and the
facts a domain above adds to an order's JSON (``order_facts: OrderFactsReader``).

The order's API shows what picking, packing and shipping recorded (picked quantities, parcels,
carrier, tracking number); those tables belong to the fulfilment domain, above this one. Its plugin
gives the reader; the orders' own gives none, so an app without fulfilment shows empty figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from litestar.di import NamedDependency, Provide
from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.auth.rules import Role
from backend.orders.rules import Actor
from backend.web.dependencies import GIVEN

CurrentActor = Annotated[NamedDependency[Actor], GIVEN]


@dataclass(frozen=True)
class OrderFacts:
    """What a domain above adds to an order's JSON."""

    picked: list[int]  # units picked per line, in the order's line order
    parcels: int | None = None
    carrier: str | None = None
    tracking_number: str | None = None


FactsRead = Callable[[AsyncSession, int], Awaitable[OrderFacts | None]]
OrderFactsReader = Annotated[NamedDependency[FactsRead | None], GIVEN]


def provide_actor(scope: Scope) -> Actor:
    """Who acts on orders: a signed-in account, or an anonymous visitor (``Actor(None)``)."""
    principal: Principal | None = scope.get("user")
    if principal is None:
        return Actor(None)
    return Actor(principal.user_id, principal.permissions, is_customer=principal.role == Role.CUSTOMER)


def no_order_facts() -> FactsRead | None:
    return None


DEPENDENCIES = {
    "actor": Provide(provide_actor, sync_to_thread=False),
    "order_facts": Provide(no_order_facts, sync_to_thread=False),
}
