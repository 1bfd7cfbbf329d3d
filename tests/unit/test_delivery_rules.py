"""Delivery's pure rules and the planner: haversine, ETAs (waiting for a slot, done stops, a
driver running late), what a drop-off must carry, who may see a proof, cash figures, and the
solver's constraints (every place once, windows kept, the same plan for the same input)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.delivery import planner, rules
from backend.delivery.rules import DropOff, EtaStop, ProofHolder, Proofs
from backend.orders.drafts import DeliverySlot, draft_problems
from backend.orders.rules import Actor
from tests.api.order_fixtures import draft

T0 = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)


def test_haversine_matches_known_distances() -> None:
    paris, lyon = (48.8566, 2.3522), (45.7640, 4.8357)
    assert round(rules.haversine_m(paris, lyon) / 1000) == 391  # 391.5 km great-circle
    assert rules.haversine_m(paris, paris) == 0
    assert round(rules.haversine_m((0.0, 0.0), (0.0, 1.0))) == 111_195  # one degree at the equator
    seconds, meters = rules.road_leg(paris, lyon, rules.DeliveryRules(road_factor_percent=100, speed_kmh=60))
    assert (round(meters / 1000), round(seconds / 3600, 1)) == (391, 6.5)


def test_etas_drive_wait_for_the_slot_and_stay_the_service_time() -> None:
    stops = [EtaStop(600), EtaStop(300, window_start=T0 + timedelta(hours=1)), EtaStop(120)]
    assert rules.etas(stops, T0, 300) == [
        T0 + timedelta(minutes=10),
        T0 + timedelta(hours=1),  # early: waits for the slot to open
        T0 + timedelta(hours=1, minutes=7),  # 5 min there, then 2 min of driving
    ]


def test_etas_follow_confirmed_stops_and_a_driver_running_late() -> None:
    done = T0 + timedelta(minutes=30)  # the first stop took longer than planned
    stops = [EtaStop(600, done_at=done), EtaStop(300), EtaStop(300)]
    assert rules.etas(stops, T0, 60) == [done, done + timedelta(minutes=5), done + timedelta(minutes=11)]
    late = done + timedelta(minutes=20)  # still not at the second stop
    assert rules.etas(stops, T0, 60, now=late)[1:] == [late, late + timedelta(minutes=6)]
    on_time = done + timedelta(minutes=1)
    assert rules.etas(stops, T0, 60, now=on_time)[1] == done + timedelta(minutes=5)
    assert rules.is_late(late, T0 + timedelta(minutes=45))
    assert not rules.is_late(late, None)


def test_a_drop_off_carries_what_the_shop_requires() -> None:
    strict = rules.DeliveryRules(require_photo=True, require_signature=True)
    bare = DropOff("  ", None, None, None)
    assert rules.drop_off_problems(bare, Proofs(), strict, currency="EUR", cash_expected=True) == {
        "recipient": "recipient_required",
        "position": "position_required",
        "photo": "photo_required",
        "signature": "signature_required",
        "cash_minor": "cash_required",
    }
    good = DropOff("Ada", 48.85, 2.35, 8, cash_minor=1250, currency="eur")
    assert (
        rules.drop_off_problems(good, Proofs("a" * 64, "b" * 64), strict, currency="EUR", cash_expected=True)
        == {}
    )
    lax = rules.DeliveryRules(require_recipient=False, require_position=False)
    assert rules.drop_off_problems(DropOff(), Proofs(), lax, currency="EUR", cash_expected=False) == {}
    for latitude, longitude in ((91, 0), (0, 0), (float("nan"), 2), (48, 181)):
        drop = DropOff("Ada", latitude, longitude, 5)
        found = rules.drop_off_problems(drop, Proofs(), lax, currency="EUR", cash_expected=False)
        assert found == {"position": "coordinate_invalid"}
    assert rules.failure_problems("other", " ") == {"note": "note_required"}
    assert rules.failure_problems("nobody_home", "") == {}
    assert rules.failure_problems("bored", "") == {"reason": "reason_invalid"}


def test_proofs_are_seen_by_staff_the_driver_and_the_customer_only() -> None:
    holders = [ProofHolder(driver_id=7, customer_user_ids=frozenset({20}))]
    staff = Actor(2, ROLE_PERMISSIONS[Role.STAFF])
    driver = Actor(7, ROLE_PERMISSIONS[Role.DRIVER])
    other_driver = Actor(8, ROLE_PERMISSIONS[Role.DRIVER])
    customer = Actor(20, ROLE_PERMISSIONS[Role.CUSTOMER], is_customer=True)
    stranger = Actor(21, ROLE_PERMISSIONS[Role.CUSTOMER], is_customer=True)
    seen = [rules.may_see_proof(a, holders) for a in (staff, driver, other_driver, customer, stranger)]
    assert seen == [True, True, False, True, False]
    assert not rules.may_see_proof(Actor(None), holders)
    assert rules.may_see_proof(Actor(None), holders, tracking_order=True)
    assert rules.may_drive(driver, 7)
    assert not rules.may_drive(other_driver, 7)
    assert not rules.may_drive(staff, 7)  # plans runs, does not deliver


def test_cash_figures_add_up() -> None:
    cash = rules.cash_figures("EUR", [1000, 2500], [1000, 2400], declared=3300, received=3300)
    assert (cash.expected, cash.collected) == (3500, 3400)
    assert (cash.collection_difference, cash.handover_difference, cash.receipt_difference) == (-100, -100, 0)
    assert cash.owed == 100
    assert rules.amount_problem(-1, None, "EUR") == "cash_invalid"
    assert rules.amount_problem(100, "USD", "EUR") == "currency_mismatch"


def test_a_delivery_slot_is_checked_with_the_order() -> None:
    slot = DeliverySlot(T0, T0 + timedelta(hours=2))
    assert draft_problems(draft(slot=slot)) == {}
    assert draft_problems(draft(slot=DeliverySlot(T0, T0))) == {"slot": "slot_invalid"}
    assert draft_problems(draft(slot=DeliverySlot(T0, T0 + timedelta(hours=13)))) == {"slot": "slot_too_long"}
    pickup = draft(slot=slot, fulfilment_mode="pickup", address=None)
    assert draft_problems(pickup) == {"slot": "slot_not_for_mode"}


def test_address_keys_spell_one_address_one_way() -> None:
    assert rules.address_key("1, Rue de Rivoli", "75001", "Paris", "FR") == rules.address_key(
        "1 rue de  rivoli", "75001", "PARIS", "fr"
    )
    assert rules.address_key("3 rue Émile Zola", "69002", "Lyon", "FR") == "3 rue emile zola 69002 lyon fr"


# -- the planner ----------------------------------------------------------------------------------


def _instance(count: int, seed: int = 3) -> tuple[rules.Matrix, list[planner.Place]]:
    rng = random.Random(seed)
    start = (48.85, 2.35)
    points = [(48.85 + rng.uniform(-0.05, 0.05), 2.35 + rng.uniform(-0.07, 0.07)) for _ in range(count)]
    places = []
    for n in range(count):
        opens = (n % 3) * 3600
        places.append(planner.Place((opens, opens + 2 * 3600) if n % 2 == 0 else None, 240))
    return rules.estimated_matrix([start, *points]), places


def test_the_planner_visits_every_place_once_within_its_window() -> None:
    matrix, places = _instance(40)
    plan = planner.solve(matrix, places, 3)
    visited = sorted(place for route in plan.routes for place in route)
    assert (visited, plan.unplaced) == (list(range(40)), [])
    for route, arrivals in zip(plan.routes, plan.arrivals, strict=True):
        for place, arrival in zip(route, arrivals, strict=True):
            window = places[place].window
            assert window is None or window[0] <= arrival <= window[1]
    assert plan.meters == sum(planner.route_meters(matrix, route) for route in plan.routes)
    assert max(len(route) for route in plan.routes) <= -(-40 * planner.SHARE_PERCENT // 300)


def test_the_planner_gives_the_same_plan_for_the_same_input() -> None:
    matrix, places = _instance(30, seed=11)
    first = planner.solve(matrix, places, 2)
    assert all(planner.solve(matrix, places, 2) == first for _ in range(3))


def test_a_place_no_driver_can_reach_in_time_is_left_out() -> None:
    matrix, places = _instance(5)
    places[2] = planner.Place((0, 1), 0)  # a one-second window at the start, kilometres away
    plan = planner.solve(matrix, places, 1)
    assert plan.unplaced == [2]
    assert sorted(plan.routes[0]) == [0, 1, 3, 4]


def test_the_solver_is_shorter_than_the_nearest_neighbour_without_windows() -> None:
    matrix, _ = _instance(60, seed=5)
    plan = planner.solve(matrix, [planner.Place()] * 60, 1)
    baseline = planner.nearest_neighbour(matrix, 60, 1)
    assert plan.meters <= planner.route_meters(matrix, baseline[0])
