"""Finding an address on the map with a Nominatim-compatible geocoder (``COMPTOIR_GEOCODER_URL``,
off unless set). Its answer is a guess: stored as a ``geocoder`` pin, which the owner's pin and a
confirmed drop-off replace, and which never replaces them."""

from __future__ import annotations

from backend.delivery.clients import get_json
from backend.delivery.rules import Point, coordinates_problem


async def geocode(geocoder_url: str, line1: str, postal_code: str, city: str, country: str) -> Point | None:
    """The first match's (latitude, longitude), or None: no geocoder, no match, or nonsense."""
    if not geocoder_url:
        return None
    params = {
        "street": line1,
        "postalcode": postal_code,
        "city": city,
        "countrycodes": country.lower(),
        "format": "jsonv2",
        "limit": "1",
    }
    answer = await get_json(f"{geocoder_url}/search", params)
    if not isinstance(answer, list) or not answer or not isinstance(answer[0], dict):
        return None
    try:
        latitude, longitude = float(answer[0]["lat"]), float(answer[0]["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    return None if coordinates_problem(latitude, longitude) else (latitude, longitude)
