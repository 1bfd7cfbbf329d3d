"""A placement travels to the writer process pickled: it is plain data that arrives as it left,
without the actor's permissions, which were checked before it left."""

from __future__ import annotations

import pickle

import pytest

from backend.auth.rules import Permission
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.placing import Placement
from backend.orders.risk import RiskPolicy
from backend.orders.rules import Actor, Channel, FulfilmentMode, PaymentMethod, Priority

ADDRESS = Address("1 rue de la Paix", "Paris", "75001", "FR", 48.87, 2.33)


@pytest.mark.parametrize("address", [ADDRESS, None])
def test_a_placement_arrives_as_it_left_without_the_permissions(address: Address | None) -> None:
    draft = OrderDraft(
        customer=CustomerDetails("Ann Example", "ann@example.com", None),
        lines=[WantedLine("TEA-1", 2), WantedLine("TEA-2", 1)],
        fulfilment_mode=FulfilmentMode.DELIVERY if address else FulfilmentMode.PICKUP,
        payment_method=PaymentMethod.CASH,
        channel=Channel.MARKETPLACE,
        address=address,
        location="MAIN",
        priority=Priority.RUSH,
        notes="ring twice",
        external_ref="MKT-7",
    )
    actor = Actor(7, frozenset({Permission.ORDERS_PLACE}), is_customer=True)
    placement = Placement.of(actor, draft, RiskPolicy(100, 2, 30), "token")
    arrived = pickle.loads(pickle.dumps(placement))
    assert arrived == placement
    assert (arrived.user_id, arrived.customer_user_id) == (7, 7)
    assert "permissions" not in repr(arrived)
    assert isinstance(arrived.draft.channel, Channel)
    assert isinstance(arrived.draft.priority, Priority)
