"""A domain is a plugin: one object carries all it brings to the app.

Each domain's ``web/plugin.py`` exports ``PLUGIN``, a :class:`DomainPlugin`: its API routes (under
``/api/v1``, guarded as the API is) and pages, guards every API route must pass, navigation
entries, live-update rules (who hears its events, the fragments they redraw, which are quiet, the
template of a topic of its own), event sentences, Jinja globals its templates call, per-process
state (caches, on ``app.state``) and lifespan steps. ``backend/app.py`` lists the plugins; Litestar
calls each one's ``on_app_init`` as it builds the app, and each adds its part to the app's own
:class:`Site` (``app.state.site``), so two apps in one process share nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, Router
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler, Guard

from backend.kernel.events import DomainEvent, Event, Sentence, type_of
from backend.web.navigation import NavItem
from backend.web.site import API_PREFIX, Describer, Site, TopicRule

__all__ = ["API_PREFIX", "DomainPlugin", "Site", "site_of"]

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


def site_of(app_config: AppConfig) -> Site:
    """The app's site, made by the first plugin that asks, with its routers and template engine."""
    site = app_config.state.get("site")
    if site is None:
        site = Site()
        app_config.state["site"] = site
        app_config.route_handlers.extend([site.api, site.pages])
        engine = JinjaTemplateEngine.from_environment(site.templates)
        app_config.template_config = TemplateConfig(engine=engine)
    return site  # type: ignore[no-any-return]


@dataclass(frozen=True, eq=False)
class DomainPlugin(InitPluginProtocol):
    name: str
    api: Sequence[ControllerRouterHandler] = ()
    pages: Sequence[ControllerRouterHandler] = ()
    # Routers of its own, beside the API and the pages (e.g. static files, with their own rules).
    routers: Sequence[Router] = ()
    api_guards: Sequence[Guard] = ()  # guards every API route passes, whichever domain it is from
    navigation: Sequence[NavItem] = ()
    topic_rules: Sequence[tuple[str, TopicRule]] = ()  # (event type pattern, fnmatch syntax; rule)
    fragments: Mapping[str, Sequence[str]] = field(default_factory=dict)  # event type → templates
    quiet: Sequence[str] = ()  # event types that update pages without a toast or a feed line
    topic_templates: Mapping[str, str] = field(default_factory=dict)  # topic prefix → template
    describers: Mapping[str, Describer] = field(default_factory=dict)  # event type → its sentence
    template_globals: Mapping[str, Any] = field(default_factory=dict)
    # Per-process objects, by their name on ``app.state``; made afresh for each app.
    state: Callable[[Site], Mapping[str, object]] | None = None
    lifespan: Sequence[Lifespan] = ()
    # What its handlers are given, by parameter name (``backend/web/dependencies.py``): the domain's
    # own per-process objects, for its handlers and those of the domains above it.
    dependencies: Mapping[str, Provide] = field(default_factory=dict)
    # What it adds to a lower domain's extension points, by the point's name: the lower domain
    # calls them without importing the higher one (e.g. invoicing's balance in the orders API).
    extends: Mapping[str, Sequence[Any]] = field(default_factory=dict)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        site = site_of(app_config)
        self.contribute(site)
        for handler in self.api:
            site.api.register(handler)
        for handler in self.pages:
            site.pages.register(handler)
        app_config.route_handlers.extend(self.routers)
        app_config.lifespan.extend(self.lifespan)
        app_config.dependencies.update(self.dependencies)
        for name, value in (self.state(site) if self.state else {}).items():
            site.state[name] = app_config.state[name] = value
        return app_config

    def contribute(self, site: Site) -> None:
        """What the plugin adds to a site besides routes, state and lifespan (also for tests)."""
        site.api.guards.extend(guard for guard in self.api_guards if guard not in site.api.guards)
        site.navigation.add(self.navigation)
        site.templates.globals.update(self.template_globals)
        live = site.live
        live.add_topic_rules(self.topic_rules)
        for event_type, templates in self.fragments.items():
            for template in templates:
                live.add_fragment(event_type, template)
        live.quiet.update(self.quiet)
        live.topic_templates.update(self.topic_templates)
        live.describers.update(self.describers)
        for point, items in self.extends.items():
            site.extensions.setdefault(point, []).extend(items)

    @staticmethod
    def assemble(plugins: Sequence[DomainPlugin]) -> Site:
        """A site with these plugins' rules, without an app: what a test of the rules needs."""
        site = Site()
        for plugin in plugins:
            plugin.contribute(site)
        return site


def sentences(by_struct: Mapping[type[DomainEvent], Sentence]) -> dict[str, Describer]:
    """A domain's sentences (``SENTENCES`` of its ``events.py``) as the app tells events: by type,
    from the stored event, through its typed payload."""
    return {type_of(struct): _telling(sentence) for struct, sentence in by_struct.items()}


def _telling(sentence: Sentence) -> Describer:
    def describer(event: Event, actor: str) -> str | None:
        payload = event.payload
        return None if payload is None else sentence(payload, actor)

    return describer
