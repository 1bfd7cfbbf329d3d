from __future__ import annotations

from sqlalchemy import select

from backend.auth.principal import Principal
from backend.db import Database
from backend.events import Event, latest_event_id, topics_for
from backend.realtime.fragments import quiet_types
from backend.realtime.render import actor_name, actor_names
from backend.realtime.rules import topics_for_principal

FEED_LENGTH = 30


async def recent_activity(db: Database, principal: Principal) -> tuple[list[tuple[Event, str]], int]:
    """The latest events this person may see with their actors' names, and the newest event id."""
    topics = topics_for_principal(principal)
    query = (
        select(Event).where(Event.type.not_in(quiet_types())).order_by(Event.id.desc()).limit(FEED_LENGTH * 4)
    )
    if len(topics) == 1:  # only their own topic: their own events are a small, indexed set
        query = query.where(Event.subject == f"user:{principal.user_id}")
    async with db.read() as session:
        newest = await latest_event_id(session)
        events = [event for event in await session.scalars(query) if topics_for(event) & topics]
        events = events[:FEED_LENGTH]
        names = await actor_names(session, events)
    return [(event, actor_name(names, event)) for event in events], newest
