"""Demo data: the shop and its four demo accounts. Running it again creates nothing new."""

from __future__ import annotations

from sqlalchemy import select

from backend.auth.models import User
from backend.auth.rules import Role
from backend.auth.service import create_user, get_user_by_email
from backend.db import Database
from backend.settings import Settings
from backend.shop import rules as shop_rules
from backend.shop.service import get_profile, update_profile

DEMO_PASSWORD = "comptoir-demo"  # noqa: S105 - published in the README for the demo accounts
DEMO_ACCOUNTS = (
    ("owner@demo.test", "Camille Martin", Role.OWNER, None),
    ("staff@demo.test", "Sam Leroy", Role.STAFF, None),
    ("driver@demo.test", "Alex Moreau", Role.DRIVER, None),
    ("customer@demo.test", "Jeanne Petit", Role.CUSTOMER, None),
)


async def _ensure_accounts(db: Database) -> int:
    created = 0
    for email, name, role, locale in DEMO_ACCOUNTS:
        async with db.read() as session:
            exists = await get_user_by_email(session, email)
        if not exists:
            await create_user(db, email, name, role, DEMO_PASSWORD, locale=locale)
            created += 1
    return created


async def _ensure_shop(db: Database) -> int:
    async with db.read() as session:
        profile = await get_profile(session)
    if profile.version > 0:
        return 0
    wanted = shop_rules.ProfileInput("Épicerie Demo", "EUR", "Europe/Paris", "fr")
    await update_profile(db, None, wanted, expected_version=0)
    return 1


async def has_accounts(settings: Settings) -> bool:
    db = Database(settings.database_url)
    try:
        async with db.read() as session:
            return await session.scalar(select(User.id).limit(1)) is not None
    finally:
        await db.dispose()


async def load_demo(settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        return await _ensure_shop(db) + await _ensure_accounts(db)
    finally:
        await db.dispose()
