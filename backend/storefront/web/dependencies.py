"""What the storefront gives handlers: what the shop shows, kept by this process (``offer: Offer``)."""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency

from backend.storefront.offer_cache import OfferCache
from backend.web.dependencies import GIVEN, from_state

Offer = Annotated[NamedDependency[OfferCache], GIVEN]

DEPENDENCIES = {"offer": from_state("offer")}
