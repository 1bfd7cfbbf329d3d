"""Domain tests: the commands and reads of a domain against a real database (both engines), built
without the app: a ``Database``, the team and a small shop (``tests.api.order_fixtures``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from backend.auth.models import User
from backend.auth.rules import Role
from backend.kernel.db import Database
from backend.orders.rules import Actor
from tests.api.order_fixtures import Shop, actor_for, build_shop
from tests.writing import add_all

TEAM = {
    "owner": ("owner@shop.test", "Olive Owner", Role.OWNER),
    "alice": ("alice@shop.test", "Alice Picker", Role.STAFF),
    "bruno": ("bruno@shop.test", "Bruno Picker", Role.STAFF),
    "driver": ("driver@shop.test", "Dani Driver", Role.DRIVER),
}


@dataclass
class Floor:
    """The stock room: the database, the shop, and who works there."""

    db: Database
    shop: Shop
    people: dict[str, Actor]

    def __getattr__(self, name: str) -> Actor:
        try:
            return self.people[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
async def floor(database_url: str) -> AsyncIterator[Floor]:
    db = Database(database_url)
    try:
        rows = [
            User(email=email, name=name, role=role.value, password_hash="-")
            for email, name, role in TEAM.values()
        ]
        ids = await db.run(add_all, rows)
        people = {
            key: actor_for(role, user_id)
            for (key, (_, _, role)), user_id in zip(TEAM.items(), ids, strict=True)
        }
        shop = await build_shop(db)
        yield Floor(db, shop, people)
    finally:
        await db.dispose()
