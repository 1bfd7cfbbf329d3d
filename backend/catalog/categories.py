"""The category list, kept in memory by each process: every catalog page shows it, and it changes
only when a product names a new category.

This process forgets it when a transaction that created a category commits (so its next page shows
the new one), and whenever its event tailer sees a product or import event from any process, since
any of them may have created one. An age limit bounds what writes that leave no event could hide.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Category
from backend.kernel.events import Event

MAX_AGE_SECONDS = 60.0
CHANGED = "categories_changed"  # session.info flag set where a category is created
MAY_CREATE = frozenset({"product.created", "product.updated", "catalog.imported"})


@dataclass(frozen=True, slots=True)
class CategoryItem:
    id: int
    name: str


def note_created(info: dict[str, Any]) -> None:
    """In the info of the transaction that created a category."""
    info[CHANGED] = True


class CategoryCache:
    def __init__(self, max_age: float = MAX_AGE_SECONDS) -> None:
        self.max_age = max_age
        self._items: tuple[CategoryItem, ...] | None = None
        self._loaded_at = 0.0
        self._generation = 0  # bumped by each forget(), so a load that raced one is not kept

    def fresh(self) -> tuple[CategoryItem, ...] | None:
        """The list when it is known and young enough, without a session; None when it must be read."""
        if self._items is not None and time.monotonic() - self._loaded_at < self.max_age:
            return self._items
        return None

    async def all(self, session: AsyncSession) -> tuple[CategoryItem, ...]:
        if (items := self.fresh()) is not None:
            return items
        generation = self._generation
        rows = await session.execute(select(Category.id, Category.name).order_by(Category.name))
        items = tuple(CategoryItem(id_, name) for id_, name in rows)
        if generation == self._generation:
            self._items, self._loaded_at = items, time.monotonic()
        return items

    def forget(self) -> None:
        self._items = None
        self._generation += 1

    def on_commit(self, session: AsyncSession) -> None:
        if session.info.get(CHANGED):
            self.forget()

    def on_event(self, event: Event) -> None:
        if event.type in MAY_CREATE:
            self.forget()
