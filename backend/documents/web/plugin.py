"""The documents domain in the app: the recipients' links (``/d/<token>``) and the team's panels of
shared links; document events redraw those panels live."""

from __future__ import annotations

from backend.documents import events
from backend.documents.web import live, pages
from backend.web.plugin import DomainPlugin, sentences

PLUGIN = DomainPlugin(
    name="documents",
    pages=pages.ROUTES,
    topic_rules=live.TOPIC_RULES,
    fragments=live.FRAGMENTS,
    describers=sentences(events.SENTENCES),
)
