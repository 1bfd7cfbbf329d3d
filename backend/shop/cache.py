"""The shop profile held in memory by each process, so no page pays a query for the time zone.

It is loaded at start-up and kept current from the event log: every process's tailer sees each
``shop.updated`` event, whichever process wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from backend.kernel.db import Database
from backend.kernel.events import Event
from backend.shop.events import ShopUpdated
from backend.shop.service import get_profile


@dataclass(frozen=True)
class ShopSnapshot:
    name: str
    currency: str
    timezone: str
    default_locale: str


class ShopCache:
    def __init__(self) -> None:
        self.current = ShopSnapshot("Comptoir", "EUR", "UTC", "en")

    async def load(self, db: Database) -> None:
        async with db.read() as session:
            profile = await get_profile(session)
        self.current = ShopSnapshot(profile.name, profile.currency, profile.timezone, profile.default_locale)

    def on_event(self, event: Event) -> None:
        if not isinstance(event.payload, ShopUpdated):
            return
        changed = {key: values[1] for key, values in event.payload.changes.items()}
        known = {key: value for key, value in changed.items() if key in ShopSnapshot.__dataclass_fields__}
        self.current = replace(self.current, **known)
