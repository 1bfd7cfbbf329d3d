"""What one app assembled from its plugins (``app.state.site``): its API and pages routers, its
navigation, its Jinja environment, what events do on its open pages, and its per-process state.

Every app has its own: the tailer, the live sockets, the feed and the templates read the app they
serve, so two apps in one process (tests build several) never see each other's rules.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from typing import Any

from jinja2 import Environment
from litestar import Router

from backend.i18n.translation import N_, gettext
from backend.kernel.events import STAFF_TOPIC, Event
from backend.web.navigation import Navigation
from backend.web.templating import environment

API_PREFIX = "/api/v1"
EVENT_TEMPLATE = "realtime/_event.html"

TopicRule = Callable[[Event], set[str]]
"""Who hears an event: the topics it is published to."""
Describer = Callable[[Event, str], str | None]  # None: the event does not read as its type
"""An event told in one sentence, given the name of who did it (translated when it is called)."""


class LiveUpdates:
    """What an app's events do: who hears them, what they redraw on open pages, how they are told.

    Events marked quiet update pages without a toast or a feed line (a stock figure moving with
    every sale is not news). Topics whose sockets hear something else than the team's feed have a
    template of their own, by prefix: e.g. a shopper's tracking page, told only that its order
    changed."""

    def __init__(self) -> None:
        self._topic_rules: list[tuple[str, TopicRule]] = []
        self._rules_by_type: dict[str, list[TopicRule]] = {}  # the patterns matched once a type
        self.fragments: dict[str, list[str]] = {}
        self.quiet: set[str] = set()
        self.topic_templates: dict[str, str] = {}
        self.describers: dict[str, Describer] = {}

    def add_fragment(self, event_type: str, template: str) -> None:
        templates = self.fragments.setdefault(event_type, [])
        if template not in templates:
            templates.append(template)

    @property
    def topic_rules(self) -> tuple[tuple[str, TopicRule], ...]:
        """(event type pattern, rule) pairs; added through ``add_topic_rules`` only, which starts
        the lookup by type over."""
        return tuple(self._topic_rules)

    def add_topic_rules(self, rules: Iterable[tuple[str, TopicRule]]) -> None:
        self._topic_rules.extend(rules)
        self._rules_by_type.clear()

    def topics_for(self, event: Event) -> set[str]:
        """Every topic an event is published to; an event no rule claims goes to the staff topic."""
        rules = self._rules_by_type.get(event.type)
        if rules is None:
            rules = [rule for pattern, rule in self._topic_rules if fnmatch.fnmatchcase(event.type, pattern)]
            self._rules_by_type[event.type] = rules
        if not rules:
            return {STAFF_TOPIC}
        topics: set[str] = set()
        for rule in rules:
            topics |= rule(event)
        return topics

    def fragments_for(self, event_type: str) -> list[str]:
        return self.fragments.get(event_type, [])

    def is_quiet(self, event_type: str) -> bool:
        return event_type in self.quiet

    def template_for(self, topic: str) -> str:
        for prefix, template in self.topic_templates.items():
            if topic.startswith(prefix):
                return template
        return EVENT_TEMPLATE

    def describe(self, event: Event, actor_name: str) -> str:
        describer = self.describers.get(event.type)
        told = None if describer is None else describer(event, actor_name)
        if told is None:
            return gettext(N_("%(actor)s: %(type)s"), actor=actor_name, type=event.type)
        return told


class Site:
    """One app's assembly of its plugins; each plugin adds its part at the app's init."""

    def __init__(self) -> None:
        self.api = Router(path=API_PREFIX, route_handlers=[], tags=["api"])
        # Everything a browser navigates to; only the API belongs in the OpenAPI schema.
        self.pages = Router(path="/", route_handlers=[], include_in_schema=False)
        self.navigation = Navigation()
        self.templates: Environment = environment(self.navigation)
        self.live = LiveUpdates()
        self.templates.globals["describe"] = self.live.describe  # an event in this app's words
        # Per-process objects by their name on ``app.state`` (caches): the realtime plugin loads
        # them at start and tells them of each new event and commit (``on_event``, ``on_commit``).
        self.state: dict[str, object] = {}
        # Extension points, by name: what the plugins above a domain add to its answers (e.g. the
        # orders API's ``order_facts``), read by that domain through ``web.dependencies.extension``.
        self.extensions: dict[str, list[Any]] = {}
        self.templates.globals["extension"] = self.extension  # e.g. the panels of an order's page

    def extension(self, point: str) -> tuple[Any, ...]:
        """What the plugins added to the extension point ``point``, in the plugins' order."""
        return tuple(self.extensions.get(point, ()))
