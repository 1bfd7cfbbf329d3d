"""Who is told what: from a stretch of the event log to the notifications to queue (reads only).

For each event, the rules say what it announces (``rules.notices_for``, a product running low, an
order decided); the subscriptions that might hear it are read once for the stretch, with their
owners' rights as they are now, and each is told only what ``rules.may_hear`` allows, in its own
language.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.models import PermissionOverride, User
from backend.auth.rules import Role, effective_permissions
from backend.catalog.models import Product
from backend.inventory.models import Location
from backend.kernel.events import Event, subject_id
from backend.orders.models import Order
from backend.push import rules
from backend.push.messages import Said, render
from backend.push.models import PushAlert, PushSubscription
from backend.push.rules import Kind, Listener, Notice
from backend.push.service import Planned

TEAM_AND_DRIVERS = frozenset({*rules.TEAM_KINDS, Kind.RUN})
WAITING = ("placed", "on_hold")


@dataclass
class Told:
    """One notice with what its message says."""

    notice: Notice
    said: Said
    event_id: int | None
    key: str = ""  # for notices that are not about an order: their topic


@dataclass
class Decided:
    told: list[Told] = field(default_factory=list)
    raise_alerts: list[str] = field(default_factory=list)
    clear_alerts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    id: int
    locale: str
    listener: Listener


async def decide(session: AsyncSession, events: Sequence[Event]) -> Decided:
    """What a stretch of the log announces."""
    decided = Decided()
    stock = [event for event in events if event.type == "stock.changed"]
    alerted = await _alerts(
        session, [state.key for event in stock for state in rules.stock_levels(event.data)]
    )
    names = await _stock_names(session, stock)
    for event in events:
        if event.type == "stock.changed":
            _judge_stock(event, alerted, names, decided)
            continue
        order_id = subject_id(event)
        if event.type in rules.DECIDED and order_id is not None:
            decided.clear_alerts.append(rules.late_key(order_id))
        said = Said(event.type, str(event.data.get("number") or ""), str(event.data.get("reason") or ""))
        for notice in rules.notices_for(event.type, order_id, event.data):
            decided.told.append(
                Told(notice, said, event.id, f"run-{order_id}" if order_id else "")
            )  # runs: their subject
    return decided


def _judge_stock(event: Event, alerted: set[str], names: dict[str, str], decided: Decided) -> None:
    for state in rules.stock_levels(event.data):
        if state.low and state.key not in alerted:
            alerted.add(state.key)
            decided.raise_alerts.append(state.key)
            said = Said(
                event.type,
                product=names.get(f"p{state.product_id}", ""),
                location=names.get(f"l{state.location_id}", ""),
                free=state.free,
            )
            notice = Notice(Kind.LOW_STOCK)
            key = f"stock-{state.product_id}-{state.location_id}"
            decided.told.append(Told(notice, said, event.id, key))
        elif not state.low and state.key in alerted:
            alerted.discard(state.key)
            decided.clear_alerts.append(state.key)
            # Raised earlier in this stretch of the log: it ends cleared (the queue clears first,
            # then raises, which is right only for a clear that came before the raise).
            decided.raise_alerts = [key for key in decided.raise_alerts if key != state.key]


async def _alerts(session: AsyncSession, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(await session.scalars(select(PushAlert.key).where(PushAlert.key.in_(set(keys)))))


async def _stock_names(session: AsyncSession, events: list[Event]) -> dict[str, str]:
    states = [state for event in events for state in rules.stock_levels(event.data) if state.low]
    if not states:
        return {}
    products = await session.execute(
        select(Product.id, Product.name).where(Product.id.in_({s.product_id for s in states}))
    )
    locations = await session.execute(
        select(Location.id, Location.name).where(Location.id.in_({s.location_id for s in states}))
    )
    return {f"p{i}": n for i, n in products} | {f"l{i}": n for i, n in locations}


async def late_orders(session: AsyncSession, now: datetime, minutes: int, limit: int = 100) -> Decided:
    """Orders waiting for a decision longer than ``minutes`` that nobody was told of yet."""
    told = select(PushAlert.key)
    rows = await session.execute(
        select(Order.id, Order.number, Order.placed_at)
        .where(Order.status.in_(WAITING), Order.placed_at < now - timedelta(minutes=minutes))
        .order_by(Order.placed_at, Order.id)
        .limit(limit * 4)
    )
    decided = Decided()
    keys = set(await session.scalars(told.where(PushAlert.key.like("order-late:%"))))
    for order_id, number, placed_at in rows:
        key = rules.late_key(order_id)
        if key in keys or len(decided.told) >= limit:
            continue
        waited = int((now - placed_at.astimezone(UTC)).total_seconds() // 60)
        said = Said("order.late", number, minutes=waited)
        decided.told.append(Told(Notice(Kind.ORDER_LATE, order_id=order_id), said, None))
        decided.raise_alerts.append(key)
    return decided


# -- the subscriptions that might hear ------------------------------------------------------------


async def candidates(session: AsyncSession, notices: Iterable[Notice]) -> list[Candidate]:
    """Every subscription that might hear one of ``notices``: the team's and drivers' when a team
    or run notice is among them, customers' accounts and tracking links of the orders concerned."""
    notices = list(notices)
    accounts = {n.account for n in notices if n.kind in rules.CUSTOMER_KINDS and n.account is not None}
    orders = {n.order_id for n in notices if n.kind in rules.CUSTOMER_KINDS and n.order_id is not None}
    query = select(PushSubscription, User.role, User.active).outerjoin(
        User, User.id == PushSubscription.user_id
    )
    found: list[tuple[PushSubscription, str | None, bool | None]] = []
    if any(n.kind in TEAM_AND_DRIVERS for n in notices):
        rows = await session.execute(query.where(User.role != Role.CUSTOMER.value))
        found += rows.all()
    if accounts:
        rows = await session.execute(query.where(PushSubscription.user_id.in_(accounts)))
        found += [row for row in rows if row[1] == Role.CUSTOMER.value]
    if orders:
        rows = await session.execute(query.where(PushSubscription.order_id.in_(orders)))
        found += rows.all()
    overrides = await _overrides(session, {row.user_id for row, _, _ in found if row.user_id is not None})
    return [_candidate(row, role, active, overrides) for row, role, active in found]


async def _overrides(session: AsyncSession, user_ids: set[int]) -> dict[int, dict[str, bool]]:
    found: dict[int, dict[str, bool]] = {user_id: {} for user_id in user_ids}
    if user_ids:
        rows = await session.execute(
            select(
                PermissionOverride.user_id, PermissionOverride.permission, PermissionOverride.granted
            ).where(PermissionOverride.user_id.in_(user_ids))
        )
        for user_id, permission, granted in rows:
            found[user_id][permission] = granted
    return found


def _candidate(
    row: PushSubscription, role: str | None, active: bool | None, overrides: dict[int, dict[str, bool]]
) -> Candidate:
    kinds = frozenset(row.kinds or ())
    if row.user_id is None:
        return Candidate(row.id, row.locale, Listener(kinds, order_id=row.order_id))
    user_role = Role(role or Role.CUSTOMER.value)
    permissions = effective_permissions(user_role, overrides.get(row.user_id, {}))
    listener = Listener(
        kinds, user_id=row.user_id, role=user_role, permissions=permissions, active=bool(active)
    )
    return Candidate(row.id, row.locale, listener)


# -- the notifications ----------------------------------------------------------------------------


def _url(notice: Notice, listener: Listener, told: Told) -> str | None:
    if listener.order_id is not None:
        return None  # only the shopper's browser knows its tracking link: the worker opens it
    if notice.kind in (Kind.NEW_ORDER, Kind.ORDER_LATE, Kind.DELIVERY_FAILED):
        return f"/orders/{notice.order_id}"
    if notice.kind == Kind.LOW_STOCK:
        return "/stock"
    return "/"


async def _versions(session: AsyncSession, told: list[Told]) -> dict[int, int]:
    ids = {t.notice.order_id for t in told if t.notice.kind == Kind.NEW_ORDER and t.notice.order_id}
    if not ids:
        return {}
    rows = await session.execute(select(Order.id, Order.version).where(Order.id.in_(ids)))
    return dict(rows.all())


async def deliveries(session: AsyncSession, decided: Decided) -> list[Planned]:
    """The notifications ``decided`` makes: one per notice and subscription that may hear it."""
    if not decided.told:
        return []
    found = await candidates(session, [t.notice for t in decided.told])
    versions = await _versions(session, decided.told)
    planned = []
    for told in decided.told:
        notice = told.notice
        delivery = rules.DELIVERY[notice.kind]
        tag = rules.topic(notice, told.key)
        for candidate in found:
            if not rules.may_hear(candidate.listener, notice):
                continue
            extra: dict[str, object] = {}
            if notice.order_id is not None:
                extra["order_id"] = notice.order_id
            if notice.order_id in versions:  # what the "Accept" action sends, once
                extra["accept"] = {"version": versions[notice.order_id], "key": secrets.token_urlsafe(16)}
            url = _url(notice, candidate.listener, told)
            payload = render(notice.kind, told.said, candidate.locale, url=url, tag=tag, extra=extra)
            planned.append(
                Planned(
                    candidate.id,
                    told.event_id,
                    notice.kind.value,
                    payload,
                    tag,
                    delivery.ttl,
                    delivery.urgency,
                )
            )
    return planned
