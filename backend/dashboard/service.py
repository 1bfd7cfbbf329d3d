"""The home screen's activity feed.

The feed of an audience (the team, or one person) only changes when a new event arrives, so its
HTML is rendered once per audience, language and time zone for each position of the process's
tailer, and reused by every page view until the next event.
"""

from __future__ import annotations

from markupsafe import Markup
from sqlalchemy import select

from backend.auth.principal import Principal
from backend.auth.rules import Permission
from backend.i18n.translation import current_locale, current_timezone
from backend.kernel.db import Database
from backend.kernel.events import ORDERS_TOPIC, STAFF_TOPIC, Event
from backend.realtime.render import actor_name, actor_names
from backend.web.site import LiveUpdates, Site
from backend.web.templating import render

FEED_LENGTH = 30
MAX_CACHED_FEEDS = 256


def audience_of(principal: Principal) -> str:
    """The team's feed (with its orders, for those who may see them), or one person's own."""
    if not principal.can(Permission.ACTIVITY_VIEW):
        return f"user:{principal.user_id}"
    return f"{STAFF_TOPIC}+{ORDERS_TOPIC}" if principal.can(Permission.ORDERS_VIEW) else STAFF_TOPIC


async def _recent(db: Database, live: LiveUpdates, audience: str, up_to: int) -> list[tuple[Event, str]]:
    query = (
        select(Event)
        .where(Event.id <= up_to, Event.type.not_in(live.quiet))
        .order_by(Event.id.desc())
        .limit(FEED_LENGTH * 4)
    )
    topics = set(audience.split("+"))
    if STAFF_TOPIC not in topics:  # one person's own events: a small, indexed set
        query = query.where(Event.subject == audience)
    async with db.read() as session:
        events = [event for event in await session.scalars(query) if topics & live.topics_for(event)]
        events = events[:FEED_LENGTH]
        names = await actor_names(session, events)
    return [(event, live.describe(event, actor_name(names, event))) for event in events]


class FeedCache:
    def __init__(self, site: Site) -> None:
        self._site = site  # the app's rules (who hears what, which events are quiet) and templates
        self._feeds: dict[tuple[str, str, str, int], Markup] = {}

    async def feed_html(self, db: Database, principal: Principal, up_to: int) -> Markup:
        """The feed's list items as of event ``up_to``; the page's socket resumes from there."""
        audience = audience_of(principal)
        key = (audience, current_locale.get(), current_timezone.get(), up_to)
        html = self._feeds.get(key)
        if html is None:
            feed = await _recent(db, self._site.live, audience, up_to)
            html = Markup(render(self._site.templates, "dashboard/_feed.html", feed=feed))  # noqa: S704 - rendered by autoescaping Jinja
            if len(self._feeds) >= MAX_CACHED_FEEDS:
                self._feeds.clear()
            self._feeds[key] = html
        return html
