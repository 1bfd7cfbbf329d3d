"""Every route declares who may use it, and each role gets exactly what the table says."""

from __future__ import annotations

import pytest
from litestar.handlers import HTTPRouteHandler, WebsocketRouteHandler

from backend.app import create_app
from backend.auth.rules import Role
from backend.auth.web.guards import has_rule
from tests.api.conftest import Harness, test_settings

ANON = None


def test_every_route_declares_an_access_rule(tmp_path) -> None:
    app = create_app(test_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    handlers = [
        (route.path, handler)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [getattr(route, "route_handler", None)])
        if handler is not None
    ]
    assert len(handlers) > 15
    missing = [path for path, handler in handlers if not has_rule(handler)]
    assert missing == [], f"routes without a guard or PUBLIC marker: {missing}"
    kinds = {type(handler) for _, handler in handlers}
    assert WebsocketRouteHandler in kinds
    assert HTTPRouteHandler in kinds


# path → status each role gets on GET (None = a visitor who is not signed in).
EXPECTED = {
    "/": {ANON: 303, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 303, Role.CUSTOMER: 200},
    "/deliveries": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/deliveries/today": {ANON: 401, Role.OWNER: 200, Role.STAFF: 403, Role.DRIVER: 200, Role.CUSTOMER: 403},
    "/login": {ANON: 200, Role.OWNER: 303, Role.STAFF: 303, Role.DRIVER: 303, Role.CUSTOMER: 303},
    "/me": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 200, Role.CUSTOMER: 200},
    "/more": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 200, Role.CUSTOMER: 200},
    "/team": {ANON: 401, Role.OWNER: 200, Role.STAFF: 403, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/team/{staff}/permissions": {
        ANON: 401,
        Role.OWNER: 200,
        Role.STAFF: 403,
        Role.DRIVER: 403,
        Role.CUSTOMER: 403,
    },
    "/me/tokens": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 200, Role.CUSTOMER: 200},
    "/team/tokens": {ANON: 401, Role.OWNER: 200, Role.STAFF: 403, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/settings": {ANON: 401, Role.OWNER: 200, Role.STAFF: 403, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/health": {ANON: 200, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 200, Role.CUSTOMER: 200},
    "/offline": {ANON: 200, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 200, Role.CUSTOMER: 200},
    "/sw.js": {ANON: 200, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 200, Role.CUSTOMER: 200},
    "/stock": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/stock/adjust": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/stock/transfer": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/stock/count": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/locations": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/locations/new": {ANON: 401, Role.OWNER: 200, Role.STAFF: 200, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/suppliers": {ANON: 401, Role.OWNER: 200, Role.STAFF: 403, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/purchase-orders": {ANON: 401, Role.OWNER: 200, Role.STAFF: 403, Role.DRIVER: 403, Role.CUSTOMER: 403},
    "/purchase-orders/new": {
        ANON: 401,
        Role.OWNER: 200,
        Role.STAFF: 403,
        Role.DRIVER: 403,
        Role.CUSTOMER: 403,
    },
}
ROLES = [ANON, *Role]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value if role else "visitor")
async def test_each_role_gets_what_the_access_table_says(harness: Harness, role: Role | None) -> None:
    async def check(client) -> None:
        for template, expected in EXPECTED.items():
            path = template.format(staff=harness.users[Role.STAFF].id)
            response = await client.get(path)
            assert response.status_code == expected[role], f"{role} GET {path}"

    if role is None:
        async with harness.client() as client:
            await check(client)
    else:
        async with harness.signed_in(role) as client:
            await check(client)


@pytest.mark.parametrize("role", [Role.STAFF, Role.DRIVER, Role.CUSTOMER])
async def test_only_the_owner_may_change_permissions_or_settings(harness: Harness, role: Role) -> None:
    from tests.api.conftest import post_form

    async with harness.signed_in(role) as client:
        target = harness.users[Role.STAFF].id
        perms = await post_form(client, f"/team/{target}/permissions", {"permission": "reports.view"})
        shop = await post_form(client, "/settings", {"name": "Mine now"})
    assert perms.status_code == shop.status_code == 403
