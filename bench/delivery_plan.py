"""Planning speed and quality: "plan the day" for 3 drivers and 120 stops with time windows
(target: under 2 s), and one run of 60 stops in the suggested order (target: under 200 ms).
Distances from the straight line × the road factor, as a shop without a routing server has them.
Prints one JSON line per case: p50 and max time over the repeats, total distance, and the
distance of the nearest-neighbour baseline (which ignores the windows, so it is a floor for what
a hand-made heuristic gives, not a fair rival) with the windows the baseline would miss.

    python bench/delivery_plan.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time

from backend.delivery import planner, rules

START = (48.8566, 2.3522)  # a shop in central Paris; stops within about 7 km


def instance(count: int, windows: bool, seed: int) -> tuple[rules.Matrix, list[planner.Place]]:
    rng = random.Random(seed)
    points = [
        (START[0] + rng.uniform(-0.06, 0.06), START[1] + rng.uniform(-0.09, 0.09)) for _ in range(count)
    ]
    places = []
    for n in range(count):
        if windows and n % 3 == 0:  # a third chose a 3-hour slot: morning, midday or afternoon
            opens = rng.choice((0, 2, 4)) * 3600
            places.append(planner.Place((opens, opens + 3 * 3600), 300))
        else:
            places.append(planner.Place(None, 300))
    return rules.estimated_matrix([START, *points]), places


def missed_windows(matrix: rules.Matrix, places: list[planner.Place], routes: list[list[int]]) -> int:
    """How many slots a route misses when driven as given (arriving early means waiting)."""
    missed = 0
    for route in routes:
        clock, at = 0, 0
        for place in route:
            clock += matrix.seconds[at][place + 1]
            window = places[place].window
            if window is not None:
                clock = max(clock, window[0])
                missed += clock > window[1]
            clock += places[place].service_seconds
            at = place + 1
    return missed


def case(
    name: str, count: int, drivers: int, *, windows: bool, repeats: int, target_ms: float
) -> dict[str, object]:
    matrix, places = instance(count, windows, seed=2026)
    timings, plans = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        plans.append(planner.solve(matrix, places, drivers))
        timings.append((time.perf_counter() - began) * 1000)
    plan = plans[0]
    baseline = planner.nearest_neighbour(matrix, count, drivers)
    baseline_m = sum(planner.route_meters(matrix, route) for route in baseline)
    return {
        "case": name,
        "stops": count,
        "drivers": drivers,
        "p50_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "target_ms": target_ms,
        "met": max(timings) < target_ms,
        "same_plan_every_time": all(p == plan for p in plans),
        "unplaced": len(plan.unplaced),
        "stops_per_driver": [len(route) for route in plan.routes],
        "total_km": round(plan.meters / 1000, 1),
        "baseline_km": round(baseline_m / 1000, 1),
        "vs_baseline": round(plan.meters / baseline_m, 3),
        "missed_windows": missed_windows(matrix, places, plan.routes),
        "baseline_missed_windows": missed_windows(matrix, places, baseline),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    for line in (
        case("plan_day", 120, 3, windows=True, repeats=repeats, target_ms=2000),
        case("one_run", 60, 1, windows=False, repeats=repeats, target_ms=200),
    ):
        print(json.dumps(line), flush=True)
        print(
            f"{line['case']}: p50 {line['p50_ms']} ms, {line['total_km']} km vs {line['baseline_km']} km",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
