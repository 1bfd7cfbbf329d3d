"""What a live event changes on open pages, besides the activity feed and a toast.

Domains register templates that render out-of-band swaps for their events (a product row, a stock
figure). Events marked quiet update pages without a toast or a feed line: a stock figure moving
with every sale is not news.
"""

from __future__ import annotations

_fragments: dict[str, list[str]] = {}
_quiet: set[str] = set()


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
