"""Who hears account events.

Private ones reach only the person; changes the owner makes reach the team too. A new account is
news for the team, not for the person it was opened for: a customer's own pages are about their
orders, never the team's activity.
"""

from __future__ import annotations

from backend.kernel.events import STAFF_TOPIC, Event, subject_id
from backend.web.site import TopicRule

PRIVATE = (
    "user.profile_updated",
    "user.password_changed",
    "user.token_created",
    "user.token_revoked",
    "user.signed_out",
    "user.invited",
    "user.invitation_revoked",
)


def _the_user(event: Event) -> set[str]:
    return {f"user:{subject_id(event)}"}


def _team_and_the_user(event: Event) -> set[str]:
    return {STAFF_TOPIC, f"user:{subject_id(event)}"}


def _the_team(event: Event) -> set[str]:
    return {STAFF_TOPIC}


TOPIC_RULES: tuple[tuple[str, TopicRule], ...] = (
    *((event_type, _the_user) for event_type in PRIVATE),
    ("user.created", _the_team),
    ("user.permissions_changed", _team_and_the_user),
)
