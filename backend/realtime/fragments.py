"""What a live event changes on open pages, besides the activity feed and a toast.

Domains register templates that render out-of-band swaps for their events (a product row, a stock
figure). Events marked quiet update pages without a toast or a feed line: a stock figure moving
with every sale is not news.
"""

from __future__ import annotations

_fragments: dict[str, list[str]] = {}
_quiet: set[str] = set()
# Topics whose sockets hear something else than the team's feed, by prefix: e.g. a shopper's
# tracking page, which is told only that its order changed.
_topic_templates: dict[str, str] = {}
EVENT_TEMPLATE = "realtime/_event.html"


def live_fragment(event_type: str, template: str) -> None:
    templates = _fragments.setdefault(event_type, [])
    if template not in templates:
        templates.append(template)


def quiet(event_type: str) -> None:
    _quiet.add(event_type)


def fragments_for(event_type: str) -> list[str]:
    return _fragments.get(event_type, [])


def is_quiet(event_type: str) -> bool:
    return event_type in _quiet


def quiet_types() -> frozenset[str]:
    return frozenset(_quiet)


def topic_template(prefix: str, template: str) -> None:
    _topic_templates[prefix] = template


def template_for(topic: str) -> str:
    for prefix, template in _topic_templates.items():
        if topic.startswith(prefix):
            return template
    return EVENT_TEMPLATE
