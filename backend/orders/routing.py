"""Which location serves an order. Pure Python.

Pickup: the location the customer chose (it must be a pickup point). Delivery and shipping: a
location the request names, else the nearest location that can serve every line (great-circle
distance between the location's and the address's coordinates), else — when the address has no
coordinates — the default location if it can serve everything, else the first that can. When no
location can serve every line, the default is chosen anyway and the reservation there names the
short lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Site:
    id: int
    code: str
    is_default: bool
    is_pickup_point: bool
    latitude: float | None
    longitude: float | None
    available: Mapping[int, int]  # product id → units free to reserve here


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def can_serve(site: Site, wanted: Mapping[int, int], backorderable: frozenset[int] = frozenset()) -> bool:
    return all(
        product in backorderable or site.available.get(product, 0) >= quantity
        for product, quantity in wanted.items()
    )


def _by_default_then_id(site: Site) -> tuple[bool, int]:
    return (not site.is_default, site.id)


def choose_site(
    sites: list[Site],
    wanted: Mapping[int, int],
    destination: tuple[float, float] | None,
    backorderable: frozenset[int] = frozenset(),
) -> Site | None:
    """The site to deliver or ship from (see the module's docstring); None when there is none."""
    if not sites:
        return None
    ordered = sorted(sites, key=_by_default_then_id)
    able = [site for site in ordered if can_serve(site, wanted, backorderable)]
    if not able:
        return ordered[0]
    placed = [site for site in able if site.latitude is not None and site.longitude is not None]
    if destination is not None and placed:
        return min(placed, key=lambda site: haversine_km((site.latitude, site.longitude), destination))  # type: ignore[arg-type]
    return able[0]
