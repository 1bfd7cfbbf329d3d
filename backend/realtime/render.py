"""Events become small HTML fragments that htmx swaps in out of band."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.models import User
from backend.i18n.translation import N_, SUPPORTED_LOCALES, current_locale, gettext
from backend.kernel.events import Event
from backend.web.site import Site
from backend.web.templating import render


async def actor_names(session: AsyncSession, events: Iterable[Event]) -> dict[int | None, str]:
    ids = {event.actor_id for event in events if event.actor_id is not None}
    names: dict[int | None, str] = {}
    if ids:
        rows = await session.execute(select(User.id, User.name).where(User.id.in_(ids)))
        names.update(rows.all())
    return names


def actor_name(names: dict[int | None, str], event: Event) -> str:
    return names.get(event.actor_id) or gettext(N_("Comptoir"))


def render_event(site: Site, event: Event, topic: str, actor: str, locale: str) -> str:
    """With the app's own rules and templates (``site``)."""
    live = site.live
    token = current_locale.set(locale)
    try:
        return render(
            site.templates,
            live.template_for(topic),
            event=event,
            topic=topic,
            description=live.describe(event, actor),
            quiet=live.is_quiet(event.type),
            fragments=live.fragments_for(event.type),
        )
    finally:
        current_locale.reset(token)


def render_locales(
    site: Site,
    event: Event,
    topic: str,
    names: dict[int | None, str],
    locales: Iterable[str] = SUPPORTED_LOCALES,
) -> dict[str, str]:
    """Rendered once per topic and language, however many sockets listen."""
    rendered = {}
    for locale in locales:
        token = current_locale.set(locale)
        try:
            actor = actor_name(names, event)
        finally:
            current_locale.reset(token)
        rendered[locale] = render_event(site, event, topic, actor, locale)
    return rendered


def render_for(site: Site, event: Event, topic: str, names: dict[int | None, str], locale: str) -> str:
    token = current_locale.set(locale)
    try:
        return render_event(site, event, topic, actor_name(names, event), locale)
    finally:
        current_locale.reset(token)


def render_cursor(site: Site, event_id: int) -> str:
    return render(site.templates, "realtime/_cursor.html", event_id=event_id)


def render_reload(site: Site) -> str:
    return render(site.templates, "realtime/_reload.html")
