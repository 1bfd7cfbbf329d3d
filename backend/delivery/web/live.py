"""How delivery events reach open pages: the team (the Deliveries tab, a run's page, an order's
page), the run's driver (their "Today's run"), and each stop order's tracking page through the
order's own events (``order.out_for_delivery``, ``order.delivered``, ``order.delivery_failed``),
which the orders and storefront rules already send there.

A run's page and the Deliveries tab redraw their live parts by asking for them again (what they
show depends on the reader's rights); positions only move the driver's marker and line, quietly."""

from __future__ import annotations

from backend.delivery import events
from backend.kernel.events import STAFF_TOPIC, Event, type_of
from backend.web.site import TopicRule

RUN_EVENTS = tuple(type_of(struct) for struct in events.EVENTS if issubclass(struct, events.RunEvent))
QUIET = (type_of(events.DriverPosition), type_of(events.RunChanged))


def _to_team_and_driver(event: Event) -> set[str]:
    payload = event.payload
    topics = {STAFF_TOPIC}
    if isinstance(payload, events.RunEvent):
        topics.add(f"driver:{payload.driver}")
    return topics


TOPIC_RULES: tuple[tuple[str, TopicRule], ...] = (("delivery.*", _to_team_and_driver),)
FRAGMENTS = {event_type: ["delivery/_live_run.html"] for event_type in RUN_EVENTS}
