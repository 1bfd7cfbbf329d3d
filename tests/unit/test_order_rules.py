"""Order rules without a database: the transition table, validation, pricing, routing, risk, diffs."""

from __future__ import annotations

import pytest

from backend.auth.rules import ROLE_PERMISSIONS, Permission, Role
from backend.orders import pricing, risk, routing
from backend.orders.drafts import (
    Address,
    CustomerDetails,
    OrderDraft,
    WantedLine,
    draft_problems,
    normalise_customer,
)
from backend.orders.edit_diff import OrderShape, edit_diff
from backend.orders.rules import (
    TRANSITIONS,
    Actor,
    FulfilmentMode,
    OrderStatus,
    is_editable,
    next_statuses,
    reason_problem,
    transition_problem,
)

S = OrderStatus
OWNER = Actor(1, ROLE_PERMISSIONS[Role.OWNER])
STAFF = Actor(2, ROLE_PERMISSIONS[Role.STAFF])
DRIVER = Actor(3, ROLE_PERMISSIONS[Role.DRIVER])
SHOPPER = Actor(4, ROLE_PERMISSIONS[Role.CUSTOMER], is_customer=True)
PARIS = Address("1 rue de Rivoli", "Paris", "75001", "FR", 48.8606, 2.3376)


def draft(**changes: object) -> OrderDraft:
    base = {
        "customer": CustomerDetails("Ada", "ada@example.com", "+33612345678"),
        "lines": [WantedLine("APPLE", 2)],
        "fulfilment_mode": "delivery",
        "payment_method": "card",
        "address": PARIS,
    }
    return OrderDraft(**{**base, **changes})


# -- transitions ----------------------------------------------------------------------------------


def test_staff_may_accept_a_placed_order() -> None:
    assert transition_problem(S.PLACED, S.ACCEPTED, FulfilmentMode.DELIVERY, STAFF) is None


def test_a_customer_may_not_accept_an_order() -> None:
    assert transition_problem(S.PLACED, S.ACCEPTED, FulfilmentMode.DELIVERY, SHOPPER) == "not_permitted"


def test_a_customer_may_cancel_their_own_order_before_the_shop_accepts_it() -> None:
    assert transition_problem(S.PLACED, S.CANCELLED, FulfilmentMode.DELIVERY, SHOPPER, own_order=True) is None


def test_a_customer_may_not_cancel_their_order_once_accepted() -> None:
    problem = transition_problem(S.ACCEPTED, S.CANCELLED, FulfilmentMode.DELIVERY, SHOPPER, own_order=True)
    assert problem == "not_permitted"


def test_a_customer_may_not_cancel_someone_elses_order() -> None:
    assert transition_problem(S.PLACED, S.CANCELLED, FulfilmentMode.DELIVERY, SHOPPER) == "not_permitted"


def test_an_accepted_order_cannot_be_accepted_again() -> None:
    assert (
        transition_problem(S.ACCEPTED, S.ACCEPTED, FulfilmentMode.DELIVERY, OWNER) == "transition_not_allowed"
    )


def test_a_rejected_order_goes_nowhere() -> None:
    assert next_statuses(S.REJECTED, FulfilmentMode.DELIVERY) == []


@pytest.mark.parametrize("status", [S.PLACED, S.ON_HOLD, S.ACCEPTED, S.PICKING, S.PACKED, S.READY_FOR_PICKUP])
def test_an_order_can_be_cancelled_any_time_before_dispatch(status: OrderStatus) -> None:
    assert (status, S.CANCELLED) in TRANSITIONS


@pytest.mark.parametrize("status", [S.OUT_FOR_DELIVERY, S.SHIPPED, S.DELIVERED, S.PICKED_UP])
def test_an_order_cannot_be_cancelled_after_dispatch(status: OrderStatus) -> None:
    assert (status, S.CANCELLED) not in TRANSITIONS


def test_a_packed_delivery_goes_out_for_delivery_and_not_to_a_pickup_shelf() -> None:
    assert next_statuses(S.PACKED, FulfilmentMode.DELIVERY) == [S.OUT_FOR_DELIVERY, S.CANCELLED]
    assert transition_problem(S.PACKED, S.READY_FOR_PICKUP, FulfilmentMode.DELIVERY, OWNER) == "wrong_mode"


def test_a_packed_pickup_order_waits_at_the_pickup_point() -> None:
    assert next_statuses(S.PACKED, FulfilmentMode.PICKUP) == [S.READY_FOR_PICKUP, S.CANCELLED]


def test_only_drivers_confirm_a_delivery() -> None:
    assert transition_problem(S.OUT_FOR_DELIVERY, S.DELIVERED, FulfilmentMode.DELIVERY, DRIVER) is None
    assert (
        transition_problem(S.OUT_FOR_DELIVERY, S.DELIVERED, FulfilmentMode.DELIVERY, STAFF) == "not_permitted"
    )


def test_a_failed_delivery_is_rescheduled_back_to_packed() -> None:
    assert (S.DELIVERY_FAILED, S.PACKED) in TRANSITIONS


def test_every_status_is_reachable_from_placed() -> None:
    seen, todo = {S.PLACED}, [S.PLACED]
    while todo:
        current = todo.pop()
        for source, target in TRANSITIONS:
            if source == current and target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(OrderStatus)


def test_orders_are_editable_until_picking_starts() -> None:
    assert is_editable(S.ACCEPTED)
    assert not is_editable(S.PICKING)


def test_rejecting_needs_a_reason_and_accepting_does_not() -> None:
    assert reason_problem(S.REJECTED, "  ") == "reason_required"
    assert reason_problem(S.ACCEPTED, "") is None


# -- validation -----------------------------------------------------------------------------------


def test_a_complete_draft_has_no_problems() -> None:
    assert draft_problems(draft()) == {}


def test_an_empty_basket_is_refused() -> None:
    assert draft_problems(draft(lines=[])) == {"lines": "lines_empty"}


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        (0, "quantity_not_positive"),
        (-1, "quantity_not_positive"),
        (10**9, "quantity_too_large"),
        (True, "quantity_not_whole"),
    ],
)
def test_quantities_are_whole_numbers_within_bounds(quantity: object, code: str) -> None:
    assert draft_problems(draft(lines=[WantedLine("APPLE", quantity)])) == {"lines[0].quantity": code}  # type: ignore[arg-type]


def test_a_delivery_needs_an_address() -> None:
    assert draft_problems(draft(address=None)) == {"address": "address_required"}


def test_a_pickup_needs_no_address() -> None:
    assert draft_problems(draft(address=None, fulfilment_mode="pickup")) == {}


def test_a_bad_email_is_named() -> None:
    assert draft_problems(draft(customer=CustomerDetails("Ada", "not-an-email"))) == {
        "customer.email": "email_invalid"
    }


def test_a_bad_phone_is_named() -> None:
    assert draft_problems(draft(customer=CustomerDetails("Ada", None, "call me"))) == {
        "customer.phone": "phone_invalid"
    }


def test_a_customer_needs_a_way_to_be_reached() -> None:
    assert draft_problems(draft(customer=CustomerDetails("Ada"))) == {"customer.email": "contact_required"}


def test_phone_numbers_lose_their_spacing_and_emails_their_case() -> None:
    found = normalise_customer(CustomerDetails(" Ada ", " Ada@Example.COM", "+33 6 12-34.56 78"))
    assert found == CustomerDetails("Ada", "ada@example.com", "+33612345678")


def test_an_unknown_mode_or_payment_method_is_named() -> None:
    problems = draft_problems(draft(fulfilment_mode="teleport", payment_method="iou"))
    assert problems["fulfilment_mode"] == "fulfilment_mode_invalid"
    assert problems["payment_method"] == "payment_method_invalid"


def test_a_country_is_a_two_letter_code() -> None:
    address = Address("1 rue", "Paris", "75001", "France")
    assert draft_problems(draft(address=address)) == {"address.country": "country_invalid"}


# -- pricing --------------------------------------------------------------------------------------


def line(price: int, quantity: int = 1, rate: int = 2000) -> pricing.PricedLine:
    return pricing.PricedLine(1, "SKU", "Thing", quantity, price, rate)


def test_the_tax_inside_a_shelf_price_is_computed_per_line() -> None:
    assert line(1200).tax_minor == 200  # 20 % inside 12.00


def test_half_a_cent_of_tax_rounds_up() -> None:
    # 5.5 % inside 2.11 is 0.110 after 11.0: exactly; inside 0.21 it is 1.0947 → 1
    assert pricing.tax_included(211, 550) == 11
    assert pricing.divide_half_up(5, 2) == 3
    assert pricing.divide_half_up(7, 2) == 4


def test_just_below_half_a_cent_rounds_down() -> None:
    assert pricing.divide_half_up(149, 100) == 1


def test_an_order_total_is_the_sum_of_its_lines_and_its_tax_the_sum_of_theirs() -> None:
    found = pricing.totals([line(250, 3, 550), line(999, 1, 2000)])
    assert found.total_minor == 1749
    assert found.tax_minor == line(250, 3, 550).tax_minor + line(999, 1, 2000).tax_minor == 39 + 167
    assert found.net_minor == 1749 - 206


def test_a_line_without_tax_is_all_net() -> None:
    assert (line(500, 2, 0).tax_minor, line(500, 2, 0).net_minor) == (0, 1000)


def test_the_same_sku_twice_is_one_line() -> None:
    assert pricing.merge_quantities([("A", 1), ("B", 2), ("A", 3)]) == {"A": 4, "B": 2}


# -- routing --------------------------------------------------------------------------------------


def site(
    id_: int, lat: float | None, lon: float | None, stock: int = 10, default: bool = False
) -> routing.Site:
    return routing.Site(id_, f"L{id_}", default, False, lat, lon, {7: stock})


def test_the_nearest_location_that_can_serve_everything_is_chosen() -> None:
    lyon, paris = site(1, 45.76, 4.84, default=True), site(2, 48.86, 2.35)
    assert routing.choose_site([lyon, paris], {7: 2}, (48.85, 2.34)) is paris


def test_a_nearer_location_short_of_stock_is_passed_over() -> None:
    lyon, paris = site(1, 45.76, 4.84), site(2, 48.86, 2.35, stock=1)
    assert routing.choose_site([lyon, paris], {7: 2}, (48.85, 2.34)) is lyon


def test_without_coordinates_the_default_location_serves() -> None:
    first, default = site(1, 45.76, 4.84), site(2, 48.86, 2.35, default=True)
    assert routing.choose_site([first, default], {7: 2}, None) is default


def test_when_nobody_can_serve_everything_the_default_is_chosen_to_name_the_shortage() -> None:
    first, default = site(1, None, None, stock=0), site(2, None, None, stock=0, default=True)
    assert routing.choose_site([first, default], {7: 2}, (48.85, 2.34)) is default


def test_backordered_products_do_not_rule_a_location_out() -> None:
    assert routing.can_serve(site(1, None, None, stock=0), {7: 5}, frozenset({7}))


def test_distances_are_great_circle_kilometres() -> None:
    assert 390 < routing.haversine_km((48.86, 2.35), (45.76, 4.84)) < 395


# -- risk -----------------------------------------------------------------------------------------


def facts(**changes: object) -> risk.RiskFacts:
    base = {
        "total_minor": 5000,
        "previous_orders": 3,
        "recent_same_contact": 0,
        "phone": "+33612345678",
        "address_country": "FR",
    }
    return risk.RiskFacts(**{**base, **changes})


def test_an_ordinary_order_raises_no_flag() -> None:
    assert risk.risk_reasons(facts()) == []


def test_a_large_first_order_is_held() -> None:
    assert risk.risk_reasons(facts(previous_orders=0, total_minor=30_001)) == ["first_order_above_limit"]


def test_a_large_order_from_a_known_customer_is_not_held() -> None:
    assert risk.risk_reasons(facts(total_minor=900_000)) == []


def test_the_third_order_within_an_hour_from_one_contact_is_held() -> None:
    assert risk.risk_reasons(facts(recent_same_contact=1)) == []
    assert risk.risk_reasons(facts(recent_same_contact=2)) == ["many_recent_orders"]


def test_a_phone_from_another_country_than_the_address_is_held() -> None:
    assert risk.risk_reasons(facts(phone="+447700900123")) == ["country_mismatch"]


def test_the_longest_phone_prefix_wins() -> None:
    assert risk.phone_country("+352621123456") == "LU"


def test_a_local_number_is_not_compared() -> None:
    assert risk.risk_reasons(facts(phone="0612345678", address_country="DE")) == []


def test_every_reason_has_words() -> None:
    assert set(risk.REASONS) == {"first_order_above_limit", "many_recent_orders", "country_mismatch"}


# -- editing --------------------------------------------------------------------------------------


def test_an_edit_reads_as_one_line_per_change() -> None:
    before = OrderShape({"APPLE": 2, "PLUM": 4}, "1 rue A", "ENT")
    after = OrderShape({"APPLE": 3, "PEAR": 1}, "2 rue B", "BTQ")
    assert edit_diff(before, after) == [
        "APPLE: 2 → 3",
        "+ PEAR × 1",
        "− PLUM × 4",
        "address: 1 rue A → 2 rue B",
        "location: ENT → BTQ",
    ]


def test_an_edit_that_changes_nothing_has_no_diff() -> None:
    shape = OrderShape({"APPLE": 2}, "x", "ENT")
    assert edit_diff(shape, shape) == []


def test_the_permission_table_lets_staff_manage_orders() -> None:
    assert Permission.ORDERS_MANAGE in ROLE_PERMISSIONS[Role.STAFF]
