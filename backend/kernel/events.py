"""The event log: every domain change appends events in the same transaction as the change.

Live pages, push messages and the audit trail all read this table; nothing is sent from inside a
request. A reader remembers where it stands and asks for what comes after, so the log's order must
never let an event appear behind that point later.

SQLite has a single writer: ids become visible in increasing order, and the log's order is the id.
On PostgreSQL writers run side by side and an id taken first may commit last, so each event carries
the id of the transaction that wrote it (``xact_id``, the column's default) and the log's order is
``(xact_id, id)``. A reader goes only as far as the oldest transaction still running
(``pg_snapshot_xmin``): every transaction below it has ended, so no event can still appear there,
and none above it has been read. Each reader thus takes the same growing prefix of one order:
nothing skipped, nothing twice. A long write transaction holds live events back until it ends.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    String,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from backend.i18n.translation import gettext
from backend.kernel.db import Base, Database, UTCDateTime, utcnow
from backend.kernel.tx import Tx, json_text

log = logging.getLogger("comptoir.events")

# Below this transaction id every transaction has committed or rolled back (the statement's snapshot).
_SETTLED_BELOW = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")

STAFF_TOPIC = "staff"
ORDERS_TOPIC = "orders"  # people who may see orders (orders.view)
ORDERS_OF_PREFIX = "orders-of:"  # a customer account's own orders, heard by that account only


def orders_of_topic(user_id: int) -> str:
    return f"{ORDERS_OF_PREFIX}{user_id}"


EventId = BigInteger().with_variant(Integer, "sqlite")


class DomainEvent(msgspec.Struct, frozen=True, tag_field="type"):
    """What a domain records happened: one Struct per event type, tagged with the type
    (``class OrderAccepted(DomainEvent, tag="order.accepted")``), defined in the domain's
    ``events.py``. The tag is the event's ``type`` column; the other fields are its ``data``.

    Each tagged subclass is known by its type as soon as its module is imported (the domain's
    commands import it to record it), so a stored event reads back without a list kept by hand."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _NEW.append(cls)  # msgspec sets the tag after this: it is read when the type is looked up


_NEW: list[type[DomainEvent]] = []  # subclasses made since the last look-up
_STRUCTS: dict[str, type[DomainEvent]] = {}


def type_of(event: DomainEvent | type[DomainEvent]) -> str:
    return str(event.__struct_config__.tag)


def data_of(event: DomainEvent) -> dict[str, Any]:
    """The event's ``data`` as stored, checked against its Struct's field types: a field of the
    wrong type raises ``msgspec.ValidationError`` before anything is written."""
    data = msgspec.to_builtins(event)
    del data["type"]  # the type has a column of its own
    msgspec.convert(data, type(event))
    return data


Sentence = Callable[[Any, str], str]
"""The readable sentence of an event: (the typed event, the actor's name) → text, translated."""


def says(message: str) -> Sentence:
    """A sentence that names the event's text and number fields (``%(number)s``, ``%(delta)+d``)
    and the actor (``%(actor)s``); ``message`` is marked with ``N_``."""

    def sentence(event: DomainEvent, actor: str) -> str:
        values = {name: getattr(event, name) for name in event.__struct_fields__}
        shown = {k: v for k, v in values.items() if isinstance(v, str | int) and not isinstance(v, bool)}
        return gettext(message, actor=actor, **shown)

    return sentence


def _struct(type_: str) -> type[DomainEvent] | None:
    if _NEW:
        _take_new()
    return _STRUCTS.get(type_)


def _take_new() -> None:
    while _NEW:
        struct = _NEW.pop()
        tag = struct.__struct_config__.tag
        if isinstance(tag, str) and "." in tag:  # an event type; untagged bases carry their class name
            _STRUCTS[tag] = struct


def decode(type_: str, data: Mapping[str, Any]) -> DomainEvent | None:
    """The stored event as its Struct; None for a type no domain records (any longer), or data
    its Struct does not take: one such event must not stop the live stream of all the others."""
    struct = _struct(type_)
    if struct is None:
        return None
    try:
        return msgspec.convert(data, struct)
    except msgspec.ValidationError as exc:
        log.warning("event %s does not read as %s: %s", type_, struct.__name__, exc)
        return None


def known_types() -> dict[str, type[DomainEvent]]:
    """Every event type whose module is imported so far, with its Struct."""
    _take_new()
    return dict(_STRUCTS)


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    type: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # PostgreSQL: the writing transaction's id, filled by the column's default (0 for events older
    # than the column). SQLite: NULL.
    xact_id: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())

    __table_args__ = (
        Index("ix_events_xact_id_id", "xact_id", "id", sqlite_where=text("xact_id IS NOT NULL")),
    )

    @cached_property
    def payload(self) -> Any:
        """The event as its domain's Struct (``backend/<domain>/events.py``); None for a type no
        domain records, or data that does not read as its Struct (``decode``)."""
        return decode(self.type, self.data or {})


# A reader of the log (the tailer, the push dispatcher) under a stream of commits (hundreds of
# orders a second) would read a handful of events at each wake-up, each read's fixed cost paid for
# a few: once a read finds GATHER_FROM or more, waiting GATHER_SECONDS lets the next read take them
# all at once. A read that finds fewer is not followed by a wait: at a hundred changes a second the
# wait was a quarter of the time between a commit and the screens.
GATHER_SECONDS = 0.05
GATHER_FROM = 16


def gather_after(found: int) -> float:
    """How long a reader of the log waits after a look that found ``found`` events."""
    return GATHER_SECONDS if found >= GATHER_FROM else 0.0


Position = tuple[int, int]
"""Where a reader stands in the log: ``(xact_id, id)`` of the last event it took."""
START: Position = (0, 0)  # before every event


def position(event: Event) -> Position:
    return (event.xact_id or 0, event.id)


class EventCursor(Base):
    """How far a durable consumer (e.g. the push dispatcher) has read the log."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(EventId, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def note_recorded(info: dict[str, Any], type_: str) -> None:
    """Mark the transaction as having recorded events, and of which family (``order`` for
    ``order.placed``): commit callbacks read it, in the process that committed, before any reply."""
    info["events_recorded"] = True
    info[f"events:{type_.partition('.')[0]}"] = True


_INSERT_EVENT = (
    "INSERT INTO events (at, type, subject, actor_id, data)"
    " VALUES (:at, :type, :subject, :actor_id, :data) RETURNING id"
)


def record(tx: Tx, event: DomainEvent, subject: str, actor_id: int | None = None) -> int:
    """Append an event to the command's transaction; returns the event's id. Its fields are
    checked first (``data_of``): a malformed event raises and the command writes nothing."""
    type_, data = type_of(event), data_of(event)
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


def subject_id(event: Event) -> int | None:
    _, _, raw = event.subject.partition(":")
    return int(raw) if raw.isdigit() else None


def _is_postgres(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


class RecentEvents:
    """The events a process's tailer read last (``keep``), in the log's order, for the other
    readers of the same process, the push dispatcher and the invoicing reactions, to take instead
    of reading and decoding them again: each event was read three times, a tenth of the serving
    process's time under a stream of drop-offs.

    What it holds is always a run of the log without a gap: the events that follow one position,
    as the tailer read them (settled, in order). A reader standing on one of them is given what
    follows it here, which is what the database would give first; a reader elsewhere, or at the
    end of the run, reads the database as before. Events are never changed once written, so a
    kept one reads the same as a fresh one."""

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._events: list[Event] = []
        self._at: dict[Position, int] = {}  # a position → how many kept events precede what follows it

    def keep(self, after: Position, events: list[Event]) -> None:
        """``events`` follow ``after`` in the log (one read of the tailer's)."""
        if not events:
            return
        if after not in self._at or self._at[after] != len(self._events):
            self._events, self._at = [], {after: 0}  # not a continuation: a new run
        for event in events:
            self._events.append(event)
            self._at[position(event)] = len(self._events)
        if len(self._events) > 2 * self.size:
            self._trim()

    def _trim(self) -> None:
        dropped = len(self._events) - self.size
        self._events = self._events[dropped:]
        self._at = {at: n - dropped for at, n in self._at.items() if n >= dropped}

    def after(self, after: Position, limit: int) -> list[Event]:
        """What follows ``after`` here (at most ``limit``); empty when ``after`` is not in the run
        or nothing follows it yet."""
        start = self._at.get(after)
        return [] if start is None else self._events[start : start + limit]


_recent: weakref.WeakKeyDictionary[Database, RecentEvents] = weakref.WeakKeyDictionary()


def recent_events(db: Database) -> RecentEvents:
    """The recent events of a database's readers in this process."""
    found = _recent.get(db)
    if found is None:
        found = _recent[db] = RecentEvents()
    return found


async def events_after(
    session: AsyncSession, after: Position, limit: int = 500, recent: RecentEvents | None = None
) -> list[Event]:
    """Up to ``limit`` events that follow ``after`` in the log's order, as far as it is settled:
    from ``recent`` when it holds what follows ``after`` (a first part of the answer, which the
    reader takes before asking again), else from the database."""
    if recent is not None and (kept := recent.after(after, limit)):
        return kept
    if not _is_postgres(session):
        query = select(Event).where(Event.id > after[1]).order_by(Event.id)
    else:
        query = (
            select(Event)
            .where(tuple_(Event.xact_id, Event.id) > tuple_(*after), Event.xact_id < _SETTLED_BELOW)
            .order_by(Event.xact_id, Event.id)
        )
    return list(await session.scalars(query.limit(limit)))


async def events_held_back(session: AsyncSession) -> bool:
    """Whether a committed event waits for an older transaction to end: that end may wake no one
    (it need not have written events), so a reader should look again soon."""
    if not _is_postgres(session):
        return False
    query = select(Event.id).where(Event.xact_id >= _SETTLED_BELOW).limit(1)
    return await session.scalar(query) is not None


async def latest_position(session: AsyncSession) -> Position:
    """Where a reader that wants only what comes next starts: after the last settled event."""
    if not _is_postgres(session):
        return (0, int(await session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0))
    query = (
        select(Event.xact_id, Event.id)
        .where(Event.xact_id < _SETTLED_BELOW)
        .order_by(Event.xact_id.desc(), Event.id.desc())
        .limit(1)
    )
    row = (await session.execute(query)).first()
    return (int(row[0]), int(row[1])) if row else START


async def latest_event_id(session: AsyncSession) -> int:
    """The id to resume after (``?since=``) to get only what comes next."""
    return (await latest_position(session))[1]


async def position_of(session: AsyncSession, event_id: int) -> Position | None:
    """The position of an event a reader took (``?since=``); None when the log has no such event."""
    if event_id == 0:
        return START
    if not _is_postgres(session):
        return (0, event_id)  # the id is the position: one past the last event is as good
    xact_id = await session.scalar(select(Event.xact_id).where(Event.id == event_id))
    return None if xact_id is None else (int(xact_id), event_id)
