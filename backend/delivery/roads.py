"""Drive times and distances between points: from an OSRM-compatible routing server when the shop
runs one (``COMPTOIR_ROUTING_URL``, its ``/table`` service), estimated from the straight line
otherwise (``rules.estimated_matrix``), and estimated too whenever the server fails."""

from __future__ import annotations

import math
from collections.abc import Sequence

from backend.delivery.clients import get_json
from backend.delivery.rules import DEFAULT_SETTINGS, DeliveryRules, Matrix, Point, estimated_matrix

MAX_POINTS = 500  # one table request; beyond it the estimate is used


async def matrix_for(
    points: Sequence[Point], settings: DeliveryRules = DEFAULT_SETTINGS, routing_url: str = ""
) -> Matrix:
    """The matrix between ``points``, by road when the server answers."""
    if routing_url and 1 < len(points) <= MAX_POINTS:
        found = await road_matrix(routing_url, points)
        if found is not None:
            return found
    return estimated_matrix(points, settings)


async def road_matrix(routing_url: str, points: Sequence[Point]) -> Matrix | None:
    """Ask ``{routing_url}/table/v1/driving/{lon,lat;…}`` for durations and distances; None when
    the answer is missing or not a full square of numbers."""
    where = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
    answer = await get_json(f"{routing_url}/table/v1/driving/{where}", {"annotations": "duration,distance"})
    if not isinstance(answer, dict) or answer.get("code") != "Ok":
        return None
    seconds = _square(answer.get("durations"), len(points))
    meters = _square(answer.get("distances"), len(points))
    if seconds is None or meters is None:
        return None
    return Matrix(seconds, meters)


def _square(rows: object, size: int) -> list[list[int]] | None:
    if not isinstance(rows, list) or len(rows) != size:
        return None
    square = []
    for row in rows:
        if not isinstance(row, list) or len(row) != size:
            return None
        values = []
        for value in row:  # OSRM says null for a pair it cannot route
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                return None
            values.append(round(value))
        square.append(values)
    return square
