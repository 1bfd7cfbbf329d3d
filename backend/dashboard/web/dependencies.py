"""What the home screen gives handlers: the activity feeds this process keeps (``feeds: Feeds``)."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency

from backend.dashboard.service import FeedCache
from backend.web.dependencies import GIVEN, from_state

Feeds = Annotated[NamedDependency[FeedCache], GIVEN]

DEPENDENCIES = {"feeds": from_state("feeds")}
