"""The bottom navigation: each domain registers its destinations; roles and permissions filter."""

from __future__ import annotations

from dataclasses import dataclass

from backend.auth.principal import Principal
from backend.auth.rules import Permission, Role
from backend.i18n.translation import N_


@dataclass(frozen=True)
class NavItem:
    label: str  # marked with N_, translated in the template
    href: str
    icon: str  # a symbol id in static/icons.svg
    order: int
    permission: Permission | None = None  # None: every signed-in person
    roles: frozenset[Role] | None = None  # None: every role (that holds the permission)


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    _items.append(item)
    _items.sort(key=lambda entry: entry.order)


def items_for(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return [
        item
        for item in _items
        if (item.permission is None or principal.can(item.permission))
        and (item.roles is None or principal.role in item.roles)
    ]


# Everyone's home is "/", which shows each role its own first screen (dashboard.routes.home).
register(NavItem(N_("Home"), "/", "home", 0, roles=frozenset({Role.OWNER, Role.STAFF})))
register(NavItem(N_("My orders"), "/", "orders", 0, roles=frozenset({Role.CUSTOMER})))
register(NavItem(N_("Today's run"), "/", "deliveries", 0, roles=frozenset({Role.DRIVER})))
register(NavItem(N_("Menu"), "/more", "more", 100))
