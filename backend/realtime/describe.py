"""One readable sentence per event, translated when it is shown."""

from __future__ import annotations

from collections.abc import Callable

from backend.events import Event
from backend.i18n import N_, gettext

Describer = Callable[[Event, str], str]
_describers: dict[str, Describer] = {}


def describes(event_type: str) -> Callable[[Describer], Describer]:
    def register(describer: Describer) -> Describer:
        _describers[event_type] = describer
        return describer

    return register


def describe(event: Event, actor_name: str) -> str:
    describer = _describers.get(event.type)
    if describer is None:
        return gettext(N_("%(actor)s: %(type)s"), actor=actor_name, type=event.type)
    return describer(event, actor_name)


def _simple(event_type: str, message: str) -> None:
    @describes(event_type)
    def describer(event: Event, actor: str) -> str:
        return gettext(message, actor=actor, **{k: v for k, v in event.data.items() if isinstance(v, str)})


_simple("user.created", N_("%(name)s joined the team"))
_simple("user.profile_updated", N_("%(actor)s updated their profile"))
_simple("user.password_changed", N_("%(actor)s changed their password"))
_simple("user.token_created", N_("%(actor)s created an API token"))
_simple("shop.updated", N_("%(actor)s updated the shop settings"))


@describes("user.permissions_changed")
def _permissions_changed(event: Event, actor: str) -> str:
    return gettext(
        N_("%(actor)s changed permissions: %(granted)d granted, %(withdrawn)d withdrawn"),
        actor=actor,
        granted=len(event.data.get("granted", [])),
        withdrawn=len(event.data.get("withdrawn", [])),
    )
