"""What live updates give handlers: this process's tailer (``tailer: LiveTailer``) and the newest
event it has sent on (``live_cursor: LiveCursor``)."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency, Provide
from litestar.types import Scope

from backend.realtime.tailer import Tailer
from backend.web.dependencies import GIVEN, app_state, from_state

LiveTailer = Annotated[NamedDependency[Tailer], GIVEN]
LiveCursor = Annotated[NamedDependency[int], GIVEN]


def provide_live_cursor(scope: Scope) -> int:
    """The newest event this process has sent on: a page read after it resumes its socket there."""
    tailer: Tailer = app_state(scope).tailer
    return tailer.cursor


DEPENDENCIES = {
    "tailer": from_state("tailer"),
    "live_cursor": Provide(provide_live_cursor, sync_to_thread=False),
}
