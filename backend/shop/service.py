from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from backend.kernel.db import Database
from backend.kernel.events import record
from backend.kernel.tx import Tx
from backend.shop import rules
from backend.shop.events import ShopUpdated
from backend.shop.models import ShopProfile


class ProfileRejected(Exception):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


class ProfileConflict(Exception):
    def __init__(self, current: ShopProfile) -> None:
        super().__init__("version_conflict")
        self.current = current


def _snapshot(profile: ShopProfile) -> ShopProfile:
    return ShopProfile(
        id=1,
        version=profile.version,
        tracking_days=profile.tracking_days or rules.TRACKING_DAYS,
        **{key: getattr(profile, key) for key in rules.DEFAULTS},
    )


async def get_profile(session: AsyncSession) -> ShopProfile:
    """The profile, or the defaults while none has been saved."""
    profile = await session.get(ShopProfile, 1)
    return profile or ShopProfile(id=1, version=0, tracking_days=rules.TRACKING_DAYS, **rules.DEFAULTS)


async def update_profile(
    db: Database, actor_id: int | None, wanted: rules.ProfileInput, expected_version: int | None
) -> ShopProfile:
    if found := rules.problems(wanted):
        raise ProfileRejected(found)
    return await db.run(_update_profile, actor_id, wanted, expected_version)


def _update_profile(
    tx: Tx, actor_id: int | None, wanted: rules.ProfileInput, expected_version: int | None
) -> ShopProfile:
    """Returns the saved profile, detached (a snapshot: the command may run in another process)."""
    session = tx.session
    profile = session.get(ShopProfile, 1)
    if profile is None:
        profile = ShopProfile(id=1, version=0, tracking_days=rules.TRACKING_DAYS, **rules.DEFAULTS)
        session.add(profile)
    if expected_version is not None and profile.version != expected_version:
        raise ProfileConflict(_snapshot(profile))
    changes = {
        key: [getattr(profile, key), value]
        for key, value in asdict(wanted).items()
        if value is not None and getattr(profile, key) != value
    }
    if changes:
        for key, (_, value) in changes.items():
            setattr(profile, key, value)
        profile.version += 1
        session.flush()
        record(tx, ShopUpdated(changes=changes), "shop:1", actor_id)
    return _snapshot(profile)
