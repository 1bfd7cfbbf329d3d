"""What the order pages offer, decided from the transition table without a database."""

from __future__ import annotations

from backend.auth.rules import ROLE_PERMISSIONS, Permission, Role
from backend.orders.decisions import can_edit, offered_moves, queue_moves
from backend.orders.rules import Actor

STAFF = Actor(2, ROLE_PERMISSIONS[Role.STAFF])
VIEWER = Actor(5, frozenset({Permission.ORDERS_VIEW}))
SHOPPER = Actor(4, ROLE_PERMISSIONS[Role.CUSTOMER], is_customer=True)


def test_a_placed_order_can_be_accepted_held_rejected_or_cancelled() -> None:
    assert offered_moves("placed", "delivery", STAFF) == ["accept", "hold", "reject", "cancel"]


def test_an_order_on_hold_can_be_released_back_into_the_queue_or_accepted_outright() -> None:
    assert offered_moves("on_hold", "pickup", STAFF) == ["accept", "release", "reject", "cancel"]


def test_the_queue_card_offers_every_decision_but_cancelling() -> None:
    assert queue_moves("on_hold", "delivery", STAFF) == ["accept", "release", "reject"]
    assert queue_moves("placed", "delivery", STAFF) == ["accept", "hold", "reject"]


def test_an_accepted_order_can_still_be_held_or_cancelled_but_a_dispatched_one_cannot() -> None:
    assert offered_moves("accepted", "delivery", STAFF) == ["hold", "cancel"]
    assert offered_moves("packed", "shipping", STAFF) == ["cancel"]
    assert offered_moves("out_for_delivery", "delivery", STAFF) == []
    assert offered_moves("cancelled", "delivery", STAFF) == []


def test_someone_who_may_only_see_orders_is_offered_nothing() -> None:
    assert offered_moves("placed", "delivery", VIEWER) == []
    assert not can_edit("placed", VIEWER)


def test_a_customer_may_cancel_their_own_order_only_until_the_shop_accepts_it() -> None:
    assert offered_moves("placed", "delivery", SHOPPER, own_order=True) == ["cancel"]
    assert offered_moves("on_hold", "delivery", SHOPPER, own_order=True) == ["cancel"]
    assert offered_moves("accepted", "delivery", SHOPPER, own_order=True) == []
    assert offered_moves("placed", "delivery", SHOPPER) == []


def test_lines_address_and_location_can_be_edited_until_picking_starts() -> None:
    assert [can_edit(status, STAFF) for status in ("placed", "on_hold", "accepted", "picking")] == [
        True,
        True,
        True,
        False,
    ]
    assert not can_edit("placed", SHOPPER)
