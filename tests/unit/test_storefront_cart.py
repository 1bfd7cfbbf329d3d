"""The cart's own rules and its cookie."""

from __future__ import annotations

import pytest

from backend.storefront import cart as carts
from backend.storefront.cart import Cart, CartRejected
from backend.storefront.offer import Availability, availability

SECRET = "s" * 32


def test_adding_twice_adds_up_and_keeps_the_order() -> None:
    cart = carts.add(carts.add(carts.add(Cart(), 7, 1), 3, 2), 7, 4)
    assert cart.lines == ((7, 5), (3, 2))
    assert cart.units == 7


def test_quantity_zero_takes_the_line_out() -> None:
    assert carts.set_quantity(Cart(((1, 2), (2, 3))), 1, 0).lines == ((2, 3),)


@pytest.mark.parametrize("quantity", [-1, carts.MAX_QUANTITY + 1, 10**9])
def test_absurd_quantities_are_refused(quantity: int) -> None:
    with pytest.raises(CartRejected) as refused:
        carts.set_quantity(Cart(), 1, quantity)
    assert refused.value.code == "quantity_out_of_range"


def test_a_cart_holds_a_bounded_number_of_products() -> None:
    full = Cart(tuple((n, 1) for n in range(1, carts.MAX_LINES + 1)))
    assert carts.set_quantity(full, 1, 3).quantity_of(1) == 3  # changing a line is fine
    with pytest.raises(CartRejected):
        carts.add(full, 999, 1)


def test_the_cookie_round_trips() -> None:
    cart = Cart(((5, 2), (9, 1)))
    assert carts.decode(carts.encode(cart, SECRET), SECRET) == cart


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        carts.encode(Cart(((5, 2),)), "another secret"),
        carts.encode(Cart(((5, 2),)), SECRET)[:-1] + "0",
        carts.encode(Cart(((5, 2),)), SECRET).replace("W1s", "W2s"),
    ],
)
def test_a_tampered_or_foreign_cookie_is_an_empty_cart(value: str | None) -> None:
    assert carts.decode(value, SECRET) == Cart()


def test_a_signed_cookie_with_impossible_lines_is_an_empty_cart() -> None:
    forged = Cart(((5, 10**9),))  # built past the rules, signed with the right secret
    assert carts.decode(carts.encode(forged, SECRET), SECRET) == Cart()


@pytest.mark.parametrize(
    ("available", "backorder", "expected"),
    [
        (40, False, Availability.IN_STOCK),
        (3, False, Availability.FEW_LEFT),
        (0, False, Availability.SOLD_OUT),
        (-2, True, Availability.TO_ORDER),
    ],
)
def test_availability_labels(available: int, backorder: bool, expected: Availability) -> None:
    assert availability(available, backorder) == expected


def test_a_cookie_read_once_is_still_judged_by_the_secret_it_is_read_with() -> None:
    value = carts.encode(Cart(((5, 2),)), SECRET)
    assert carts.decode(value, SECRET) == Cart(((5, 2),))  # remembered from here on
    assert carts.decode(value, "a rotated secret") == Cart()
    assert carts.decode(value, SECRET) == Cart(((5, 2),))
