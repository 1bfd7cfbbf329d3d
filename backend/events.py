"""The event log: every domain change appends events in the same transaction as the change.

Live pages, push messages and the audit trail all read this table; nothing is sent from inside a
request. Ids must become visible in increasing order, or a reader that remembers "the last id I
saw" would skip a late committer: on PostgreSQL, writers of events take one transaction-scoped
advisory lock, so event-writing commits happen in id order; SQLite has a single writer anyway.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UTCDateTime, utcnow
from backend.tx import Tx, json_text

NOTIFY_CHANNEL = "comptoir_events"
_EVENT_ORDER_LOCK = 0x436F6D70  # any constant shared by all writers

STAFF_TOPIC = "staff"
ORDERS_TOPIC = "orders"  # people who may see orders (orders.view)
ORDERS_OF_PREFIX = "orders-of:"  # a customer account's own orders, heard by that account only


def orders_of_topic(user_id: int) -> str:
    return f"{ORDERS_OF_PREFIX}{user_id}"


EventId = BigInteger().with_variant(Integer, "sqlite")


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    type: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class EventCursor(Base):
    """How far a durable consumer (e.g. the push dispatcher) has read the log."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(EventId, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


async def record(
    session: AsyncSession,
    type_: str,
    subject: str,
    actor_id: int | None = None,
    **data: Any,
) -> Event:
    """Append an event to the current transaction."""
    if session.bind.dialect.name == "postgresql" and not session.info.get("event_lock"):
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _EVENT_ORDER_LOCK})
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
        session.info["event_lock"] = True
    event = Event(type=type_, subject=subject, actor_id=actor_id, data=data, at=utcnow())
    session.add(event)
    await session.flush()
    note_recorded(session.info, type_)
    return event


def note_recorded(info: dict[str, Any], type_: str) -> None:
    """Mark the transaction as having recorded events, and of which family (``order`` for
    ``order.placed``): commit callbacks read it, in the process that committed, before any reply."""
    info["events_recorded"] = True
    info[f"events:{type_.partition('.')[0]}"] = True


_INSERT_EVENT = (
    "INSERT INTO events (at, type, subject, actor_id, data)"
    " VALUES (:at, :type, :subject, :actor_id, :data) RETURNING id"
)


def record_sync(tx: Tx, type_: str, subject: str, actor_id: int | None = None, **data: Any) -> int:
    """``record`` for synchronous code (``backend.tx``); returns the event's id."""
    if tx.dialect == "postgresql" and not tx.info.get("event_lock"):
        tx.execute("SELECT pg_advisory_xact_lock(:k)", {"k": _EVENT_ORDER_LOCK})
        tx.execute(f"NOTIFY {NOTIFY_CHANNEL}")
        tx.info["event_lock"] = True
    values = {
        "at": tx.now(),
        "type": type_,
        "subject": subject,
        "actor_id": actor_id,
        "data": json_text(data),
    }
    event_id = tx.execute(_INSERT_EVENT, values).fetchall()[0][0]
    note_recorded(tx.info, type_)
    return int(event_id)


TopicRule = Callable[[Event], set[str]]
_topic_rules: list[tuple[str, TopicRule]] = []


def topic_rule(pattern: str) -> Callable[[TopicRule], TopicRule]:
    """Register who hears events whose type matches ``pattern`` (fnmatch syntax)."""

    def register(rule: TopicRule) -> TopicRule:
        _topic_rules.append((pattern, rule))
        return rule

    return register


def subject_id(event: Event) -> int | None:
    _, _, raw = event.subject.partition(":")
    return int(raw) if raw.isdigit() else None


def topics_for(event: Event) -> set[str]:
    """Every topic an event is published to; an event no rule claims goes to the staff topic."""
    topics: set[str] = set()
    matched = False
    for pattern, rule in _topic_rules:
        if fnmatch.fnmatchcase(event.type, pattern):
            matched = True
            topics |= rule(event)
    return topics if matched else {STAFF_TOPIC}


async def events_after(session: AsyncSession, after_id: int, limit: int = 500) -> list[Event]:
    result = await session.scalars(select(Event).where(Event.id > after_id).order_by(Event.id).limit(limit))
    return list(result)


async def latest_event_id(session: AsyncSession) -> int:
    value = await session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    return int(value or 0)


def _the_user(event: Event) -> set[str]:
    return {f"user:{subject_id(event)}"}


def _team_and_the_user(event: Event) -> set[str]:
    return {STAFF_TOPIC, f"user:{subject_id(event)}"}


def _the_team(event: Event) -> set[str]:
    return {STAFF_TOPIC}


# Account events: private ones reach only the person; changes the owner makes reach the team too.
# A new account is news for the team, not for the person it was opened for: a customer's own
# pages are about their orders, never the team's activity.
for _pattern in (
    "user.profile_updated",
    "user.password_changed",
    "user.token_created",
    "user.token_revoked",
    "user.signed_out",
    "user.invited",
    "user.invitation_revoked",
):
    topic_rule(_pattern)(_the_user)
topic_rule("user.created")(_the_team)
topic_rule("user.permissions_changed")(_team_and_the_user)
