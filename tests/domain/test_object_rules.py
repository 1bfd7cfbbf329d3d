from __future__ import annotations

from sqlalchemy import select

from backend.auth.models import ApiToken, User
from backend.auth.objects import can_act_on_user, visible_rows
from backend.auth.principal import Principal
from backend.auth.rules import ROLE_PERMISSIONS, Permission, Role
from backend.kernel.db import Database
from tests.people import token_for


def _principal(users: dict[Role, User], role: Role) -> Principal:
    user = users[role]
    return Principal(user.id, user.email, user.name, role, None, ROLE_PERMISSIONS[role], "session", "h")


async def test_people_see_their_own_rows_and_managers_see_all(db: Database, users: dict[Role, User]) -> None:
    for role in (Role.OWNER, Role.STAFF, Role.CUSTOMER):
        await token_for(db, users, role)
    async with db.read() as session:
        for role, expected in ((Role.CUSTOMER, 1), (Role.STAFF, 1), (Role.OWNER, 3)):
            condition = visible_rows(_principal(users, role), ApiToken.user_id, Permission.USERS_MANAGE)
            rows = list(await session.scalars(select(ApiToken).where(condition)))
            assert len(rows) == expected, role
            if expected == 1:
                assert rows[0].user_id == users[role].id


def test_only_the_person_or_a_team_manager_acts_on_an_account(users: dict[Role, User]) -> None:
    staff, owner = _principal(users, Role.STAFF), _principal(users, Role.OWNER)
    assert can_act_on_user(staff, staff.user_id)
    assert not can_act_on_user(staff, owner.user_id)
    assert can_act_on_user(owner, staff.user_id)
