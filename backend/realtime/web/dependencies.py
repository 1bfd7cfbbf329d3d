"""What live updates give handlers: this process's tailer (``tailer: LiveTailer``), the newest
event it has sent on (``live_cursor: LiveCursor``), and what the domains above add to an account's
socket (``account_follows: AccountFollows``).

``account_follows`` is an extension point (``web.dependencies.extension``): each item is ``(app
state, principal) -> Follow | None``, the topics that account's ``/ws`` hears besides its own as
they are when a message comes (``streams.Follow``), or None for an account it adds nothing to, whose
socket keeps its topics (storefront: the delivery runs a customer's orders wait on, through its
per-process lookups).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.types import Scope

from backend.auth.principal import Principal
from backend.realtime.streams import Follow
from backend.realtime.tailer import Tailer
from backend.web.dependencies import GIVEN, app_state, extension, from_state

LiveTailer = Annotated[NamedDependency[Tailer], GIVEN]
LiveCursor = Annotated[NamedDependency[int], GIVEN]
ACCOUNT_FOLLOWS = "account_follows"
AccountFollow = Callable[[State, Principal], Follow | None]
AccountFollows = Annotated[NamedDependency[tuple[AccountFollow, ...]], GIVEN]


def provide_live_cursor(scope: Scope) -> int:
    """The newest event this process has sent on: a page read after it resumes its socket there."""
    tailer: Tailer = app_state(scope).tailer
    return tailer.cursor


DEPENDENCIES = {
    "tailer": from_state("tailer"),
    "live_cursor": Provide(provide_live_cursor, sync_to_thread=False),
    ACCOUNT_FOLLOWS: extension(ACCOUNT_FOLLOWS),
}
