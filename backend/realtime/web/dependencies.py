"""What live updates give handlers: this process's tailer (``tailer: LiveTailer``), the newest
event it has sent on (``live_cursor: LiveCursor``), and what the domains above add to an account's
socket (``account_follows: AccountFollows``).

``account_follows`` is an extension point: each item a plugin adds is ``(app state, principal) ->
Follow | None``, the topics that account's ``/ws`` hears besides its own as they are when a message
comes (``streams.Follow``), or None for an account it adds nothing to, whose socket keeps its topics
(storefront: the delivery runs a customer's orders wait on, through its per-process lookups). The
handler is given them bound to the app's state (``principal -> Follow | None``): handlers never read
the state themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.types import Scope

from backend.auth.principal import Principal
from backend.realtime.streams import Follow
from backend.realtime.tailer import Tailer
from backend.web.dependencies import GIVEN, app_state, from_state

LiveTailer = Annotated[NamedDependency[Tailer], GIVEN]
LiveCursor = Annotated[NamedDependency[int], GIVEN]
ACCOUNT_FOLLOWS = "account_follows"
AccountFollow = Callable[[State, Principal], Follow | None]
AccountFollows = Annotated[NamedDependency[tuple[Callable[[Principal], Follow | None], ...]], GIVEN]


def provide_live_cursor(scope: Scope) -> int:
    """The newest event this process has sent on: a page read after it resumes its socket there."""
    tailer: Tailer = app_state(scope).tailer
    return tailer.cursor


def provide_account_follows(scope: Scope) -> tuple[Callable[[Principal], Follow | None], ...]:
    state = app_state(scope)
    added: tuple[AccountFollow, ...] = tuple(state.site.extensions.get(ACCOUNT_FOLLOWS, ()))
    return tuple(functools.partial(make, state) for make in added)


DEPENDENCIES = {
    "tailer": from_state("tailer"),
    "live_cursor": Provide(provide_live_cursor, sync_to_thread=False),
    ACCOUNT_FOLLOWS: Provide(provide_account_follows, sync_to_thread=False),
}
