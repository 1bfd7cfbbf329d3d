"""What push's handlers are given: the process's push runtime (``push: PushState``), with its keys."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency

from backend.push.web.dispatching import PushRuntime
from backend.web.dependencies import GIVEN, from_state

PushState = Annotated[NamedDependency[PushRuntime], GIVEN]

DEPENDENCIES = {"push": from_state("push")}
