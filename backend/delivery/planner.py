"""Ordering stops and splitting them between drivers: Google OR-Tools' routing solver on a
matrix of drive times and distances (``rules.estimated_matrix`` or the routing server's).

No I/O and no clock: the same matrix and places give the same plan. The search starts from parallel
cheapest insertion (with time windows it places every stop at once, where the cheapest-arc start
left a tenth of them out for the local search to insert slowly) and improves it by guided local
search; it stops after a fixed number of solutions (``DAY_SOLUTIONS``, ``RUN_SOLUTIONS``), which
is what makes it repeatable, with a time limit only as a guard (measured: 3 drivers × 120 stops
with windows take about 0.5 s here, one run of 60 stops about 60 ms; ``bench/delivery_plan.py``).
Node 0 of the matrix is the start; place ``i`` is node ``i + 1``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from backend.delivery.rules import Matrix

HORIZON_SECONDS = 14 * 3600  # a driver's day, from departure
DROP_PENALTY = 10_000_000  # leaving a place out costs more than any route (only when it must)
SPAN_COST = 0  # balance comes from the share of stops (SHARE_PERCENT): a span cost slows the search tenfold
SHARE_PERCENT = 125
DAY_SOLUTIONS = 150  # more found nothing shorter on 120 stops, and took three times as long
RUN_SOLUTIONS = 20  # on 60 stops: as short as 30 or 50 give, in a quarter of the time
TIME_LIMIT_SECONDS = 1.8


@dataclass(frozen=True)
class Place:
    window: tuple[int, int] | None = None  # seconds after departure: arrive between these
    service_seconds: int = 0


@dataclass(frozen=True)
class Plan:
    routes: list[list[int]]  # per driver, place indices in driving order
    arrivals: list[list[int]]  # per driver, seconds after departure at each place
    unplaced: list[int]  # places no driver can reach within their window
    meters: int  # total distance, back to the start included


def solve(
    matrix: Matrix,
    places: Sequence[Place],
    drivers: int,
    *,
    horizon: int = HORIZON_SECONDS,
    solution_limit: int | None = None,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> Plan:
    """Routes for ``drivers`` (≥ 1) that visit every place once, each within its window, and
    come back to the start, as short as the search finds."""
    if len(matrix.meters) != len(places) + 1 or len(matrix.seconds) != len(places) + 1:
        raise ValueError("the matrix has one row for the start and one per place")
    if solution_limit is None:
        solution_limit = DAY_SOLUTIONS if drivers > 1 else RUN_SOLUTIONS
    if not places:
        return Plan([[] for _ in range(drivers)], [[] for _ in range(drivers)], [], 0)
    manager = pywrapcp.RoutingIndexManager(len(places) + 1, drivers, 0)
    routing = pywrapcp.RoutingModel(manager)
    distance = routing.RegisterTransitMatrix(matrix.meters)
    routing.SetArcCostEvaluatorOfAllVehicles(distance)
    service = [0] + [place.service_seconds for place in places]
    busy = [[travel + service[i] for travel in row] for i, row in enumerate(matrix.seconds)]
    time = routing.RegisterTransitMatrix(busy)
    routing.AddDimension(time, horizon, horizon, True, "time")
    clock = routing.GetDimensionOrDie("time")
    clock.SetGlobalSpanCostCoefficient(SPAN_COST)
    if drivers > 1:  # nobody gets much more than their share of the stops
        one = routing.RegisterUnaryTransitVector([0] + [1] * len(places))
        share = -(-len(places) * SHARE_PERCENT // (100 * drivers))
        routing.AddDimension(one, 0, share, True, "stops")
    for n, place in enumerate(places, start=1):
        index = manager.NodeToIndex(n)
        if place.window is not None:
            start, end = place.window
            clock.CumulVar(index).SetRange(max(0, start), max(0, min(end, horizon)))
        routing.AddDisjunction([index], DROP_PENALTY)
    solution = routing.SolveWithParameters(_parameters(solution_limit, time_limit))
    if solution is None:  # nothing at all fits: every place is left for the owner
        return Plan([[] for _ in range(drivers)], [[] for _ in range(drivers)], list(range(len(places))), 0)
    return _plan(_Solved(manager, routing, solution, clock), matrix, len(places), drivers)


def _parameters(solution_limit: int, time_limit: float) -> pywrapcp.DefaultRoutingSearchParameters:
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.solution_limit = solution_limit
    parameters.time_limit.FromMilliseconds(int(time_limit * 1000))
    return parameters


@dataclass(frozen=True)
class _Solved:
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    solution: pywrapcp.Assignment
    clock: pywrapcp.RoutingDimension


def _plan(solved: _Solved, matrix: Matrix, count: int, drivers: int) -> Plan:
    manager, routing, solution, clock = solved.manager, solved.routing, solved.solution, solved.clock
    routes: list[list[int]] = []
    arrivals: list[list[int]] = []
    meters = 0
    for vehicle in range(drivers):
        route: list[int] = []
        times: list[int] = []
        index, previous = routing.Start(vehicle), 0
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            route.append(node - 1)
            times.append(solution.Min(clock.CumulVar(index)))
            meters += matrix.meters[previous][node]
            previous = node
            index = solution.Value(routing.NextVar(index))
        meters += matrix.meters[previous][0] if route else 0
        routes.append(route)
        arrivals.append(times)
    placed = {place for route in routes for place in route}
    return Plan(routes, arrivals, [n for n in range(count) if n not in placed], meters)


def route_meters(matrix: Matrix, route: Sequence[int]) -> int:
    """The length of a tour from the start through ``route`` (place indices) and back."""
    nodes = [0, *(place + 1 for place in route), 0]
    return sum(matrix.meters[a][b] for a, b in itertools.pairwise(nodes))


def nearest_neighbour(matrix: Matrix, count: int, drivers: int) -> list[list[int]]:
    """The baseline the solver is measured against: drivers take turns driving to the nearest
    place nobody has visited (windows ignored)."""
    left = set(range(count))
    routes: list[list[int]] = [[] for _ in range(drivers)]
    at = [0] * drivers
    while left:
        for vehicle in range(drivers):
            if not left:
                break
            row = matrix.meters[at[vehicle]]
            chosen = min(left, key=lambda place: (row[place + 1], place))
            left.remove(chosen)
            routes[vehicle].append(chosen)
            at[vehicle] = chosen + 1
    return routes
