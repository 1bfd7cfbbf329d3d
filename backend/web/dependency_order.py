"""Dependencies resolved one after the other, in the request's own task.

Litestar resolves the independent dependencies of a handler together, each in a task of an anyio
task group: three or four tasks made, scheduled and joined per request, for providers that only
read an attribute of the app's state (``backend.web.dependencies``) and never wait. That cost a
tenth of a page's CPU under load (the task group bottleneck of Litestar's issue 4563). Here every
batch of independent dependencies becomes batches of one, which Litestar awaits in place: the
order among independent ones does not matter, and those that depend on others still come after
them.
"""

from __future__ import annotations

from typing import Any

from litestar._kwargs.kwargs_model import KwargsModel

_made = KwargsModel.__init__


def _one_at_a_time(self: KwargsModel, *args: Any, **kwargs: Any) -> None:
    _made(self, *args, **kwargs)
    self.dependency_batches = [{dependency} for batch in self.dependency_batches for dependency in batch]


def resolve_one_at_a_time() -> None:
    """Apply to every handler registered from now on (idempotent)."""
    if KwargsModel.__init__ is not _one_at_a_time:
        KwargsModel.__init__ = _one_at_a_time  # type: ignore[method-assign]
