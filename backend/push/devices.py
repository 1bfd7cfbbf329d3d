"""Reads: a person's devices (the "me" page lists them with their kinds), and what waits to be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.push.models import PushDelivery, PushSubscription


@dataclass(frozen=True)
class Device:
    id: int
    service: str  # the push service's host (which browser vendor), never the endpoint: it is a secret
    locale: str
    kinds: tuple[str, ...]
    created_at: datetime
    last_success_at: datetime | None
    failures: int


def _device(row: PushSubscription) -> Device:
    return Device(
        row.id,
        urlsplit(row.endpoint).hostname or "",
        row.locale,
        tuple(row.kinds),
        row.created_at,
        row.last_success_at,
        row.failures,
    )


async def devices_of(session: AsyncSession, user_id: int) -> list[Device]:
    """An account's subscribed devices, oldest first."""
    rows = await session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == user_id).order_by(PushSubscription.id)
    )
    return [_device(row) for row in rows]


async def devices_of_order(session: AsyncSession, order_id: int) -> list[Device]:
    """The devices following one order through its tracking link."""
    rows = await session.scalars(
        select(PushSubscription).where(PushSubscription.order_id == order_id).order_by(PushSubscription.id)
    )
    return [_device(row) for row in rows]


async def kinds_of(session: AsyncSession, subscription_id: int) -> list[str]:
    """The kinds one subscription hears (what subscribing kept of what was asked)."""
    row = await session.get(PushSubscription, subscription_id)
    return list(row.kinds) if row is not None else []


async def is_subscribed(session: AsyncSession, endpoint: str) -> bool:
    found = await session.scalar(select(PushSubscription.id).where(PushSubscription.endpoint == endpoint))
    return found is not None


async def pending(session: AsyncSession) -> int:
    """Notifications decided and not yet settled with their push service."""
    return int(await session.scalar(select(func.count()).select_from(PushDelivery)) or 0)
