"""What the storefront gives handlers, kept by this process: what the shop shows (``offer: Offer``)
and which run each tracked order waits on (``run_lookups: RunLookupsState``)."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency

from backend.storefront.offer_cache import OfferCache
from backend.storefront.run_lookups import RunLookups
from backend.web.dependencies import GIVEN, from_state

Offer = Annotated[NamedDependency[OfferCache], GIVEN]
RunLookupsState = Annotated[NamedDependency[RunLookups], GIVEN]

DEPENDENCIES = {"offer": from_state("offer"), "run_lookups": from_state("run_lookups")}
