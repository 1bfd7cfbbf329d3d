"""The tracking page's plain rules: the steps of each mode and where a status stands on them, the
delivery window told to the customer, when a link stops working, shared links' tokens, what
ordering again puts in the cart, and what a rating must be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.orders import ratings, sharing
from backend.storefront import my_orders, progress, tracking
from backend.storefront.cart import MAX_QUANTITY, Cart
from backend.storefront.offer import CartLine, PricedCart

NOON = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)


def order(
    status: str, mode: str = "delivery", steps: list[tuple[str, datetime]] | None = None
) -> tracking.Tracked:
    shown = [tracking.Step(kind, at, "") for kind, at in steps or [("order.placed", NOON)]]
    return tracking.Tracked(1, 1, None, "ORD-1", status, mode, 250, "EUR", NOON, "", "", [], shown, 7)


@pytest.mark.parametrize(
    ("mode", "status", "states"),
    [
        ("delivery", "placed", ["current", "todo", "todo", "todo", "todo"]),
        ("delivery", "picking", ["done", "current", "todo", "todo", "todo"]),
        ("delivery", "delivery_failed", ["done", "done", "current", "todo", "todo"]),
        ("shipping", "shipped", ["done", "done", "done", "current", "todo"]),
        ("pickup", "picked_up", ["done", "done", "done", "done", "done"]),
    ],
)
def test_each_status_stands_on_its_modes_way(mode: str, status: str, states: list[str]) -> None:
    steps = tracking.milestones(order(status, mode))
    assert [step.state for step in steps] == states
    assert (
        steps[3].type
        == {
            "delivery": "order.out_for_delivery",
            "shipping": "order.shipped",
            "pickup": "order.ready_for_pickup",
        }[mode]
    )
    assert steps[0].at == NOON  # placed: when
    assert all(step.at is None for step in steps if step.state == "todo")


def test_an_order_called_off_has_no_way_only_its_history() -> None:
    assert tracking.milestones(order("cancelled")) == []
    assert tracking.milestones(order("rejected")) == []


def test_a_link_works_until_the_set_days_after_the_final_step() -> None:
    done = order("delivered", steps=[("order.placed", NOON), ("order.delivered", NOON + timedelta(days=1))])
    ends = NOON + timedelta(days=8)
    assert done.link_ends_at == ends
    assert not done.link_expired(ends - timedelta(seconds=1))
    assert done.link_expired(ends)
    assert order("out_for_delivery").link_ends_at is None  # never while the order runs


@pytest.mark.parametrize(
    ("eta", "window"),
    [
        (NOON, ("11:50", "12:20")),
        (NOON + timedelta(minutes=7, seconds=30), ("11:55", "12:30")),
        (NOON + timedelta(minutes=5), ("11:55", "12:25")),
    ],
)
def test_the_estimate_is_told_as_a_window_on_five_minute_marks(
    eta: datetime, window: tuple[str, str]
) -> None:
    start, end = progress.window(eta)
    assert (start.strftime("%H:%M"), end.strftime("%H:%M")) == window


def test_the_driver_is_named_by_first_name_only() -> None:
    assert progress.first_name("Dani  Driver") == "Dani"
    assert progress.first_name("") == ""


def test_a_shared_token_is_256_bits_the_same_for_the_same_salt_and_differs_otherwise() -> None:
    key = sharing.link_key("secret")
    token = sharing.shared_token(key, 7, "aa")
    assert token == sharing.shared_token(key, 7, "aa")
    assert len(token) == 43
    others = {sharing.shared_token(key, 8, "aa"), sharing.shared_token(key, 7, "ab")}
    others.add(sharing.shared_token(sharing.link_key("other"), 7, "aa"))
    assert token not in others
    assert len(others) == 3


def line(product_id: int, available: int, *, backorder: bool = False, currency: str = "EUR") -> CartLine:
    return CartLine(
        product_id, f"SKU{product_id}", f"Now {product_id}", 1, 100, currency, available, backorder
    )


def test_ordering_again_adds_what_can_be_had_and_names_the_rest() -> None:
    ordered = [
        my_orders.Ordered(1, "Apple", 2),
        my_orders.Ordered(2, "Pear", 3),
        my_orders.Ordered(3, "Old", 1),  # not sold any more
        my_orders.Ordered(4, "Bread", 5),  # to order
        my_orders.Ordered(5, "Dollar", 1),  # priced in another currency than the cart
    ]
    today = PricedCart([line(1, 10), line(2, 1), line(4, 0, backorder=True), line(5, 9, currency="USD")], [3])
    cart, missing = my_orders.reorder(Cart(((1, 1),)), ordered, today, "EUR")
    assert dict(cart.lines) == {1: 3, 2: 1, 4: 5}
    assert [(m.name, m.wanted, m.added) for m in missing] == [("Now 2", 3, 1), ("Old", 1, 0), ("Now 5", 1, 0)]


def test_ordering_again_never_goes_past_the_carts_limit() -> None:
    cart, missing = my_orders.reorder(
        Cart(((1, MAX_QUANTITY - 1),)),
        [my_orders.Ordered(1, "Apple", 5)],
        PricedCart([line(1, 500)], []),
        None,
    )
    assert dict(cart.lines) == {1: MAX_QUANTITY}
    assert [(m.wanted, m.added) for m in missing] == [(5, 1)]


@pytest.mark.parametrize(
    ("status", "stars", "comment", "problems"),
    [
        ("delivered", 5, "", {}),
        ("picked_up", 1, "x" * 1000, {}),
        ("shipped", 4, "", {"general": "not_received"}),
        ("delivered", 0, "", {"stars": "stars_out_of_range"}),
        ("delivered", None, "x" * 1001, {"stars": "stars_out_of_range", "comment": "comment_too_long"}),
    ],
)
def test_what_a_rating_must_be(
    status: str, stars: int | None, comment: str, problems: dict[str, str]
) -> None:
    assert ratings.problems(ratings.RatingInput(1, stars, comment, 0), status) == problems
