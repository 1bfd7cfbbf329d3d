"""The API answers only tokens whose account holds ``api.use``."""

from __future__ import annotations

import pytest

from backend.auth.models import User
from backend.auth.rules import GRANTABLE, ROLE_PERMISSIONS, Permission, Role
from backend.auth.service import AccountError, create_api_token
from tests.api.conftest import PEOPLE, Harness, post_form


def _staff_defaults_without(permission: Permission) -> list[str]:
    return sorted(p.value for p in (ROLE_PERMISSIONS[Role.STAFF] - {permission}) & GRANTABLE)


def _staff_defaults() -> list[str]:
    return sorted(p.value for p in ROLE_PERMISSIONS[Role.STAFF] & GRANTABLE)


async def test_withdrawing_api_use_refuses_the_staff_members_token_at_once(harness: Harness) -> None:
    staff_id = harness.users[Role.STAFF].id
    headers = {"Authorization": f"Bearer {await harness.token(Role.STAFF)}"}
    await harness.app.state.tailer.publish_new()  # the token's creation is old news for the cache
    async with harness.client() as api, harness.signed_in(Role.OWNER) as owner:
        assert (await api.get("/api/v1/me", headers=headers)).status_code == 200  # now remembered
        withdraw = {"permission": _staff_defaults_without(Permission.API_USE), "version": "1"}
        assert (await post_form(owner, f"/team/{staff_id}/permissions", withdraw)).status_code == 303
        for path in ("/api/v1/me", "/api/v1/products", "/api/v1/orders"):
            refused = await api.get(path, headers=headers)
            assert refused.status_code == 403, path
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["detail"] == "This account may not use the API."
        grant = {"permission": _staff_defaults(), "version": "2"}
        assert (await post_form(owner, f"/team/{staff_id}/permissions", grant)).status_code == 303
        assert (await api.get("/api/v1/me", headers=headers)).status_code == 200


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.DRIVER])
async def test_roles_without_api_use_get_403_on_every_api_route(harness: Harness, role: Role) -> None:
    headers = {"Authorization": f"Bearer {await harness.token(role)}"}
    async with harness.client() as api:
        me = await api.get("/api/v1/me", headers=headers)
        patch = await api.patch("/api/v1/me", json={"version": 1, "name": "Renamed"}, headers=headers)
        products = await api.get("/api/v1/products", headers=headers)
    for response in (me, patch, products):
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
    async with harness.db.read() as session:
        assert (await session.get_one(User, harness.users[role].id)).name == PEOPLE[role][1]


async def test_a_missing_token_is_still_a_401_before_any_permission_check(harness: Harness) -> None:
    async with harness.client() as api:
        response = await api.get("/api/v1/me")
    assert response.status_code == 401


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.DRIVER])
async def test_no_token_is_created_for_a_role_without_api_use(harness: Harness, role: Role) -> None:
    with pytest.raises(AccountError) as refused:
        await create_api_token(harness.db, PEOPLE[role][0], "nope")
    assert refused.value.code == "api_not_allowed"


async def test_no_token_is_created_for_staff_whose_api_use_is_withdrawn(harness: Harness) -> None:
    staff_id = harness.users[Role.STAFF].id
    async with harness.signed_in(Role.OWNER) as owner:
        withdraw = {"permission": _staff_defaults_without(Permission.API_USE), "version": "1"}
        await post_form(owner, f"/team/{staff_id}/permissions", withdraw)
    with pytest.raises(AccountError):
        await create_api_token(harness.db, PEOPLE[Role.STAFF][0], "nope")
    async with harness.signed_in(Role.STAFF) as staff:
        page = await staff.get("/me/tokens")
        refused = await post_form(staff, "/me/tokens", {"label": "x", "expires": "30"})
    assert "This account may not use the API." in page.text
    assert 'action="/me/tokens"' not in page.text
    assert refused.status_code == 403
    assert "cmp_" not in refused.text
