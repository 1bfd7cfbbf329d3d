"""Stock and purchasing rules, without a database."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.inventory.rules import (
    MAX_QUANTITY,
    LocationInput,
    adjustment_problems,
    is_low,
    location_problems,
)
from backend.inventory.web.forms import parse_whole
from backend.purchasing.rules import (
    PurchaseStatus,
    SupplierInput,
    can_edit_lines,
    can_move,
    receipt_problems,
    status_after_receiving,
    supplier_fingerprint,
    supplier_problems,
)


def test_a_plain_location_is_acceptable() -> None:
    assert (
        location_problems(LocationInput("WH-1", "Warehouse", "warehouse", latitude=-90.0, longitude=180.0))
        == {}
    )


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"latitude": 90.01, "longitude": 0.0}, "latitude", "latitude_range"),
        ({"latitude": 0.0, "longitude": -180.01}, "longitude", "longitude_range"),
        ({"latitude": math.nan, "longitude": 0.0}, "latitude", "latitude_range"),
        ({"latitude": 0.0, "longitude": math.inf}, "longitude", "longitude_range"),
        ({"latitude": 10.0}, "longitude", "coordinates_pair"),
        ({"longitude": 10.0}, "latitude", "coordinates_pair"),
        ({"code": "WH 1"}, "code", "code_invalid"),
        ({"code": "-WH"}, "code", "code_invalid"),
        ({"code": "W" * 33}, "code", "code_invalid"),
        ({"name": ""}, "name", "name_required"),
        ({"name": "n" * 121}, "name", "name_too_long"),
        ({"kind": "van"}, "kind", "kind_invalid"),
        ({"address": "a" * 301}, "address", "address_too_long"),
    ],
)
def test_a_location_names_each_problem_on_its_field(
    changes: dict[str, object], field: str, code: str
) -> None:
    location = LocationInput(**{"code": "WH", "name": "Warehouse", "kind": "warehouse", **changes})
    assert location_problems(location)[field] == code


@pytest.mark.parametrize(
    ("delta", "reason", "expected"),
    [
        (-3, "broken", {}),
        (MAX_QUANTITY, "found", {}),
        (0, "nothing", {"delta": "zero_change"}),
        (MAX_QUANTITY + 1, "typo", {"delta": "too_large"}),
        (-MAX_QUANTITY - 1, "typo", {"delta": "too_large"}),
        (2, "  ", {"reason": "reason_required"}),
        (2, "r" * 201, {"reason": "reason_too_long"}),
    ],
)
def test_an_adjustment_is_a_bounded_non_zero_change_with_a_reason(
    delta: int, reason: str, expected: dict[str, str]
) -> None:
    assert adjustment_problems(delta, reason) == expected


def test_stock_is_low_below_its_reorder_point_or_while_customers_wait_for_it() -> None:
    assert is_low(on_hand=4, reserved=0, backordered=0, reorder_point=5)
    assert not is_low(on_hand=5, reserved=0, backordered=0, reorder_point=5)
    assert is_low(on_hand=9, reserved=5, backordered=0, reorder_point=5)
    assert is_low(on_hand=0, reserved=0, backordered=2, reorder_point=0)
    assert not is_low(on_hand=0, reserved=0, backordered=0, reorder_point=0)


@pytest.mark.parametrize(
    ("raw", "signed", "allow_zero", "expected"),
    [
        ("12", False, False, (12, None)),
        (" +7 ", True, False, (7, None)),
        ("−2", True, False, (-2, None)),
        ("0", False, True, (0, None)),
        ("0", True, False, (None, "zero_change")),
        ("-1", False, True, (None, "negative")),
        ("-1", False, False, (None, "not_positive")),
        ("1.5", True, False, (None, "not_a_whole_number")),
        ("1_000", False, False, (None, "not_a_whole_number")),
        ("١٢", False, False, (None, "not_a_whole_number")),
        ("", False, False, (None, "not_a_whole_number")),
        ("1000001", False, False, (None, "too_large")),
        ("123456789012", True, False, (None, "too_large")),
    ],
)
def test_typed_quantities_are_plain_whole_numbers(
    raw: str, signed: bool, allow_zero: bool, expected: tuple[int | None, str | None]
) -> None:
    assert parse_whole(raw, signed=signed, allow_zero=allow_zero) == expected


@given(st.integers(-MAX_QUANTITY, MAX_QUANTITY).filter(bool))
def test_every_non_zero_change_in_range_reads_back_as_typed(delta: int) -> None:
    assert parse_whole(str(delta), signed=True) == (delta, None)


def test_receiving_takes_at_most_what_is_still_expected_on_known_lines() -> None:
    outstanding = {1: 5, 2: 0}
    assert receipt_problems(outstanding, {1: 5}) == {}
    assert receipt_problems(outstanding, {1: 6, 2: 1, 3: 1, 4: 0}) == {
        1: "over_outstanding",
        2: "over_outstanding",
        3: "unknown_line",
        4: "unknown_line",
    }
    assert receipt_problems({1: 5}, {1: 0}) == {1: "not_positive"}


def test_an_order_is_received_once_every_line_is() -> None:
    assert status_after_receiving([(5, 5), (2, 2)]) == PurchaseStatus.RECEIVED
    assert status_after_receiving([(5, 5), (2, 1)]) == PurchaseStatus.PARTIALLY_RECEIVED


def test_only_drafts_change_lines_and_only_some_moves_exist() -> None:
    assert can_edit_lines(PurchaseStatus.DRAFT)
    assert not any(can_edit_lines(status) for status in PurchaseStatus if status != PurchaseStatus.DRAFT)
    assert can_move(PurchaseStatus.SENT, PurchaseStatus.CANCELLED)
    assert not can_move(PurchaseStatus.PARTIALLY_RECEIVED, PurchaseStatus.CANCELLED)
    assert not can_move(PurchaseStatus.DRAFT, PurchaseStatus.RECEIVED)
    assert not any(can_move(PurchaseStatus.RECEIVED, status) for status in PurchaseStatus)


def test_a_supplier_needs_a_name_a_valid_email_if_any_and_a_sensible_lead_time() -> None:
    assert supplier_problems(SupplierInput("Orchard")) == {}
    assert supplier_problems(SupplierInput("", "not-an-email", "1" * 41, 366)) == {
        "name": "name_required",
        "email": "invalid_email",
        "phone": "phone_too_long",
        "lead_time_days": "lead_time_range",
    }


def test_a_suppliers_fingerprint_changes_with_any_field() -> None:
    base = SupplierInput("Orchard", "a@b.test", "01", 2)
    variants = [
        SupplierInput("Orchards", "a@b.test", "01", 2),
        SupplierInput("Orchard", "a@c.test", "01", 2),
        SupplierInput("Orchard", "a@b.test", "02", 2),
        SupplierInput("Orchard", "a@b.test", "01", 3),
    ]
    assert len({supplier_fingerprint(supplier) for supplier in [base, *variants]}) == 5
    assert supplier_fingerprint(base) == supplier_fingerprint(SupplierInput("Orchard", "a@b.test", "01", 2))
