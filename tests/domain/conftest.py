"""Tests of commands, services and storage below HTTP: a fresh database per test (on each engine,
as ``database_url`` gives it) without building the app. ``db`` and ``users`` give the database and
one person per role; ``floor`` a stock room: the team, a small shop (``tests.api.order_fixtures``).
Tests that speak HTTP belong in ``tests/api``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from backend.auth.models import User
from backend.auth.rules import Role
from backend.kernel.db import Database
from backend.orders.rules import Actor
from tests.api.order_fixtures import Shop, actor_for, build_shop
from tests.people import add_people
from tests.writing import add_all

TEAM = {
    "owner": ("owner@shop.test", "Olive Owner", Role.OWNER),
    "alice": ("alice@shop.test", "Alice Picker", Role.STAFF),
    "bruno": ("bruno@shop.test", "Bruno Picker", Role.STAFF),
    "driver": ("driver@shop.test", "Dani Driver", Role.DRIVER),
}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The test's database, written through ``Database.run`` as the app writes (on SQLite, its own
    writer process, started at the first command)."""
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def users(db: Database) -> dict[Role, User]:
    """One person per role (``tests.people.PEOPLE``)."""
    return await add_people(db)


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
