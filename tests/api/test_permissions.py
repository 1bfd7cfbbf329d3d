from __future__ import annotations

from sqlalchemy import select

from backend.auth.models import PermissionOverride
from backend.auth.rules import Permission, Role
from backend.kernel.events import Event
from tests.api.conftest import Harness, post_form


def _defaults_without(*removed: Permission, added: tuple[Permission, ...] = ()) -> list[str]:
    from backend.auth.rules import GRANTABLE, ROLE_PERMISSIONS

    wanted = (set(ROLE_PERMISSIONS[Role.STAFF]) - set(removed)) | set(added)
    return sorted(p.value for p in wanted & GRANTABLE)


async def test_the_owner_grants_and_withdraws_a_staff_members_permissions(harness: Harness) -> None:
    staff_id = harness.users[Role.STAFF].id
    wanted = _defaults_without(Permission.CATALOG_EDIT, added=(Permission.REPORTS_VIEW,))
    async with harness.signed_in(Role.OWNER) as owner:
        response = await post_form(
            owner, f"/team/{staff_id}/permissions", {"permission": wanted, "version": "1"}
        )
        assert response.status_code == 303
        page = await owner.get(f"/team/{staff_id}/permissions?saved=true")
    assert "Permissions saved" in page.text
    async with harness.db.read() as session:
        overrides = {o.permission: o.granted for o in await session.scalars(select(PermissionOverride))}
        event = await session.scalar(select(Event).where(Event.type == "user.permissions_changed"))
    assert overrides == {"catalog.edit": False, "reports.view": True}
    assert event.data == {"granted": ["reports.view"], "withdrawn": ["catalog.edit"]}
    token = await harness.token(Role.STAFF)
    async with harness.client() as client:
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert "reports.view" in me.json()["permissions"]
    assert "catalog.edit" not in me.json()["permissions"]


async def test_a_withdrawn_permission_closes_the_door_at_once(harness: Harness) -> None:
    staff_id = harness.users[Role.STAFF].id
    async with harness.signed_in(Role.STAFF) as staff, harness.signed_in(Role.OWNER) as owner:
        assert (await staff.get("/")).status_code == 200
        assert "Latest activity" in (await staff.get("/")).text
        wanted = _defaults_without(Permission.ACTIVITY_VIEW)
        await post_form(owner, f"/team/{staff_id}/permissions", {"permission": wanted, "version": "1"})
        grant = await post_form(
            owner, f"/team/{staff_id}/permissions", {"permission": wanted, "version": "2"}
        )
        assert grant.status_code == 303
        async with harness.db.read() as session:
            assert await session.scalar(select(PermissionOverride.permission)) == "activity.view"


async def test_a_stale_permissions_form_is_refused(harness: Harness) -> None:
    staff_id = harness.users[Role.STAFF].id
    async with harness.signed_in(Role.OWNER) as owner:
        await post_form(owner, f"/team/{staff_id}/permissions", {"permission": [], "version": "1"})
        stale = await post_form(
            owner, f"/team/{staff_id}/permissions", {"permission": ["reports.view"], "version": "1"}
        )
    assert stale.status_code == 409


async def test_unknown_permissions_and_unadjustable_roles_are_refused(harness: Harness) -> None:
    staff_id, owner_id = harness.users[Role.STAFF].id, harness.users[Role.OWNER].id
    async with harness.signed_in(Role.OWNER) as owner:
        unknown = await post_form(owner, f"/team/{staff_id}/permissions", {"permission": ["root.everything"]})
        owner_page = await owner.get(f"/team/{owner_id}/permissions")
        missing = await owner.get("/team/9999/permissions")
    assert unknown.status_code == 400
    assert "does not exist" in unknown.text
    assert owner_page.status_code == missing.status_code == 404
    async with harness.db.read() as session:
        assert await session.scalar(select(PermissionOverride)) is None


async def test_the_team_page_lists_everyone_but_customers(harness: Harness) -> None:
    async with harness.signed_in(Role.OWNER) as owner:
        page = await owner.get("/team")
    assert "Sami Staff" in page.text
    assert "Dani Driver" in page.text
    assert "Cleo Customer" not in page.text
