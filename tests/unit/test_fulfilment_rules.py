"""Fulfilment rules without a database: batch order, shelf order, pickup codes and their lockout,
quantities, parcels, tracking numbers and carriers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from backend.fulfilment import rules
from backend.fulfilment.rules import CarrierInfo

NOON = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Waiting:
    order_id: int
    priority: str
    fulfilment_mode: str
    placed_at: datetime


def ago(hours: float) -> datetime:
    return NOON - timedelta(hours=hours)


def test_rush_orders_come_first_then_the_one_due_soonest_then_the_oldest() -> None:
    orders = [
        Waiting(1, "normal", "delivery", ago(5)),  # due in 19 h
        Waiting(2, "normal", "pickup", ago(1)),  # due in 1 h: the customer is coming
        Waiting(3, "rush", "delivery", ago(0.1)),
        Waiting(4, "normal", "delivery", ago(6)),  # older than 1: before it
        Waiting(5, "normal", "pickup", ago(0.5)),
        Waiting(6, "rush", "pickup", ago(0.2)),  # rush and due soonest of the rush ones
    ]
    assert [order.order_id for order in rules.batch_order(orders)] == [6, 3, 2, 5, 4, 1]


def test_a_pickup_placed_long_ago_still_waits_behind_none_it_is_due_before() -> None:
    late_pickup = Waiting(7, "normal", "pickup", ago(30))
    fresh_delivery = Waiting(8, "normal", "delivery", ago(0))
    assert [order.order_id for order in rules.batch_order([fresh_delivery, late_pickup])] == [7, 8]
    assert rules.due_at(ago(30), "pickup") == ago(28)


def test_equal_orders_keep_a_stable_order_by_id() -> None:
    same = [Waiting(n, "normal", "shipping", ago(2)) for n in (9, 3, 5)]
    assert [order.order_id for order in rules.batch_order(same)] == [3, 5, 9]


@pytest.mark.parametrize(
    ("ids", "problem"),
    [
        ([], "batch_empty"),
        (list(range(1, 32)), "batch_too_large"),
        ([1, 2, 1], "batch_repeats"),
        ([1, 2], None),
    ],
)
def test_a_batch_has_one_to_thirty_distinct_orders(ids: list[int], problem: str | None) -> None:
    assert rules.batch_problem(ids) == problem


def test_pick_lists_walk_the_shelves_in_order_and_unplaced_products_last() -> None:
    rows = [
        (None, "APPLE", "ORD-1"),
        ("B-01", "PEAR", "ORD-2"),
        ("A-10", "PLUM", "ORD-1"),
        ("A-02", "KIWI", "ORD-3"),
    ]
    ordered = sorted(rows, key=lambda row: rules.shelf_key(*row))
    assert [row[1] for row in ordered] == ["KIWI", "PLUM", "PEAR", "APPLE"]


# -- pickup codes ---------------------------------------------------------------------------------

KEY = rules.pickup_key("instance-secret-" + "x" * 40)


def test_a_pickup_code_is_six_digits_the_same_again_and_another_for_another_order_or_salt() -> None:
    code = rules.pickup_code(KEY, 42, "salt-a")
    assert len(code) == 6
    assert code.isdigit()
    assert rules.pickup_code(KEY, 42, "salt-a") == code
    others = {rules.pickup_code(KEY, order_id, "salt-a") for order_id in range(43, 63)}
    assert code not in others
    assert len(others) == 20
    assert rules.pickup_code(KEY, 42, "salt-b") != code
    assert rules.pickup_code(rules.pickup_key("another secret"), 42, "salt-a") != code


def test_a_code_matches_only_its_own_order_and_only_through_its_keyed_hash() -> None:
    code = rules.pickup_code(KEY, 42, "salt")
    stored = rules.code_hash(KEY, 42, code)
    assert code not in stored
    assert len(stored) == 64
    assert rules.code_matches(KEY, 42, code, stored)
    assert not rules.code_matches(KEY, 43, code, stored)  # another order's code
    assert not rules.code_matches(KEY, 42, f"{(int(code) + 1) % 10**6:06d}", stored)
    assert not rules.code_matches(rules.pickup_key("other"), 42, code, stored)
    assert not rules.code_matches(KEY, 42, code, None)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("123 456", None),
        ("123-456", None),
        ("12345", "code_invalid"),
        ("12345a", "code_invalid"),
        ("1234567", "code_invalid"),
    ],
)
def test_codes_are_read_as_typed_and_must_be_six_digits(typed: str, problem: str | None) -> None:
    assert rules.code_problem(rules.normalise_code(typed)) == problem


def test_the_fifth_wrong_code_locks_the_order_for_fifteen_minutes_and_the_count_starts_again() -> None:
    wrong, locked_until = 0, None
    for attempt in range(1, 5):
        wrong, locked_until = rules.after_wrong_code(wrong, NOON)
        assert (wrong, locked_until, rules.attempts_left(wrong)) == (attempt, None, 5 - attempt)
    wrong, locked_until = rules.after_wrong_code(wrong, NOON)
    assert (wrong, locked_until) == (0, NOON + timedelta(minutes=15))
    assert rules.is_locked(locked_until, NOON + timedelta(minutes=14, seconds=59))
    assert not rules.is_locked(locked_until, NOON + timedelta(minutes=15))
    assert not rules.is_locked(None, NOON)


# -- quantities, parcels, shipping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "ordered", "picked", "problem"),
    [
        (1, 3, 0, None),
        (3, 3, 0, None),
        (2, 3, 1, None),
        (3, 3, 1, "more_than_ordered"),
        (4, 3, 0, "more_than_ordered"),
        (0, 3, 0, "quantity_invalid"),
        (-1, 3, 0, "quantity_invalid"),
        (True, 3, 0, "quantity_invalid"),
    ],
)
def test_a_confirmation_adds_units_up_to_what_was_ordered(
    quantity: int, ordered: int, picked: int, problem: str | None
) -> None:
    assert rules.pick_problem(quantity, ordered, picked) == problem


def test_a_short_pick_finds_fewer_than_ordered() -> None:
    assert rules.short_problem(0, 3) is None
    assert rules.short_problem(2, 3) is None
    assert rules.short_problem(3, 3) == "not_short"
    assert rules.short_problem(-1, 3) == "found_invalid"


def test_every_line_picked_is_what_packing_needs() -> None:
    assert rules.all_picked([(2, 2), (1, 1)])
    assert not rules.all_picked([(2, 2), (1, 0)])


def test_parcels_and_weight() -> None:
    assert rules.parcel_problems(1, 1200) == {}
    assert rules.parcel_problems(0, 0) == {"parcels": "parcels_invalid", "weight_g": "weight_invalid"}
    assert rules.parcel_problems(100, 1_000_001) == {
        "parcels": "parcels_invalid",
        "weight_g": "weight_invalid",
    }


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("  6A123 ", None),
        ("", "tracking_required"),
        ("   ", "tracking_required"),
        ("x" * 100, None),
        ("x" * 101, "tracking_too_long"),
        ("AB\x01", "tracking_invalid"),
    ],
)
def test_a_tracking_number_is_trimmed_and_1_to_100_characters(typed: str, problem: str | None) -> None:
    assert rules.tracking_problem(rules.normalise_tracking(typed)) == problem


def test_the_default_carriers_and_their_tracking_links() -> None:
    codes = [carrier.code for carrier in rules.DEFAULT_CARRIERS]
    assert codes == ["colissimo", "chronopost", "dhl", "ups", "other"]
    assert all(rules.carrier_problems(carrier) == {} for carrier in rules.DEFAULT_CARRIERS)
    ups = rules.DEFAULT_CARRIERS[3]
    assert (
        rules.tracking_link(ups.tracking_url, "1Z 99/&") == "https://www.ups.com/track?tracknum=1Z%2099%2F%26"
    )
    assert rules.tracking_link("", "123") is None


def test_a_carrier_needs_a_code_a_name_and_an_https_template_with_one_slot() -> None:
    assert rules.carrier_problems(CarrierInfo("Bad Code", " ", "http://x/{number}")) == {
        "code": "carrier_code_invalid",
        "name": "carrier_name_invalid",
        "tracking_url": "tracking_url_invalid",
    }
    assert rules.carrier_problems(CarrierInfo("gls", "GLS", "https://gls.example/track")) == {
        "tracking_url": "tracking_url_invalid"
    }


def test_a_hand_over_without_the_code_needs_the_check_ticked_and_the_document_named() -> None:
    assert rules.identity_problems(True, rules.normalise_identity_note("  ID   card ")) == {}
    assert rules.normalise_identity_note("  ID \n card ") == "ID card"
    assert rules.identity_problems(False, "ID card") == {"identity_checked": "identity_not_checked"}
    assert rules.identity_problems(True, "") == {"identity_note": "identity_note_required"}
    assert rules.identity_problems(True, "x" * 101) == {"identity_note": "identity_note_invalid"}
    assert rules.identity_problems(True, "x" * 100) == {}
    assert rules.identity_problems(True, "ID\x00card") == {"identity_note": "identity_note_invalid"}
