"""The bottom navigation: each domain's plugin brings its destinations; roles and permissions filter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from backend.auth.principal import Principal
from backend.auth.rules import Permission, Role


@dataclass(frozen=True)
class NavItem:
    label: str  # marked with N_, translated in the template
    href: str
    icon: str  # a symbol id in static/icons.svg
    order: int
    permission: Permission | None = None  # None: every signed-in person
    roles: frozenset[Role] | None = None  # None: every role (that holds the permission)


class Navigation:
    """One app's destinations, in their order (``Site.navigation``)."""

    def __init__(self) -> None:
        self._items: list[NavItem] = []

    def add(self, items: Iterable[NavItem]) -> None:
        self._items.extend(items)
        self._items.sort(key=lambda entry: entry.order)

    def items_for(self, principal: Principal | None) -> list[NavItem]:
        if principal is None:
            return []
        return [
            item
            for item in self._items
            if (item.permission is None or principal.can(item.permission))
            and (item.roles is None or principal.role in item.roles)
        ]
