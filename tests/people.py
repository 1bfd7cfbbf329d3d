"""The shop's team as tests seed it: one person per role, all with the same password."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from sqlalchemy import select

from backend.auth.models import ApiToken, User
from backend.auth.principal import hash_credential
from backend.auth.rules import ROLE_PERMISSIONS, Permission, Role
from backend.auth.service import create_api_token
from backend.kernel.db import Database
from tests.writing import add, add_all

PASSWORD = "correct horse battery"
_HASH = PasswordHasher().hash(PASSWORD)  # hashing once keeps account fixtures fast

PEOPLE = {
    Role.OWNER: ("owner@shop.test", "Olive Owner"),
    Role.STAFF: ("staff@shop.test", "Sami Staff"),
    Role.DRIVER: ("driver@shop.test", "Dani Driver"),
    Role.CUSTOMER: ("customer@shop.test", "Cleo Customer"),
}


async def add_people(db: Database, password_hash: str = _HASH) -> dict[Role, User]:
    rows = [
        User(email=email, name=name, role=role.value, password_hash=password_hash)
        for role, (email, name) in PEOPLE.items()
    ]
    ids = await db.run(add_all, rows)
    async with db.read() as session:
        users = {user.id: user for user in await session.scalars(select(User).where(User.id.in_(ids)))}
    return {role: users[user_id] for role, user_id in zip(PEOPLE, ids, strict=True)}


async def token_for(db: Database, users: dict[Role, User], role: Role) -> str:
    """An API token of the role's person."""
    if Permission.API_USE in ROLE_PERMISSIONS[role]:
        return await create_api_token(db, PEOPLE[role][0], "tests")
    # Roles without api.use cannot be given a token; one issued before that rule must fail.
    return await unchecked_token(db, users[role].id)


async def unchecked_token(db: Database, user_id: int, **columns: object) -> str:
    """A token row written directly, bypassing the rules for creating one."""
    raw = "cmp_" + secrets.token_urlsafe(32)
    await db.run(add, ApiToken(token_hash=hash_credential(raw), user_id=user_id, label="tests", **columns))
    return raw
