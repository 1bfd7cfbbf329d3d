from __future__ import annotations

from dataclasses import replace

from backend.app import PLUGINS
from backend.auth.principal import Principal
from backend.auth.rules import ROLE_PERMISSIONS, Permission, Role
from backend.kernel.events import Event
from backend.realtime.rules import is_allowed_origin, topics_for_principal
from backend.web.plugin import DomainPlugin

LIVE = DomainPlugin.assemble(PLUGINS).live  # the app's rules, without building an app
topics_for = LIVE.topics_for
describe = LIVE.describe


def _principal(role: Role, user_id: int = 7) -> Principal:
    return Principal(user_id, "a@b.test", "A", role, None, ROLE_PERMISSIONS[role], "session", "h")


def test_staff_hear_the_team_topic_the_orders_topic_and_their_own() -> None:
    assert topics_for_principal(_principal(Role.STAFF)) == {"staff", "orders", "user:7"}


def test_only_people_who_may_see_orders_hear_order_events() -> None:
    # "track:3" is the order's own tracking page, whose socket holds its token: no account joins it.
    assert topics_for(Event(type="order.placed", subject="order:3", data={})) == {"orders", "track:3"}
    assert topics_for(Event(type="order.file_imported", subject="orders", data={})) == {"orders"}
    without = replace(
        _principal(Role.STAFF), permissions=ROLE_PERMISSIONS[Role.STAFF] - {Permission.ORDERS_VIEW}
    )
    assert topics_for_principal(without) == {"staff", "user:7"}
    assert all(
        not topic.startswith("track:") for role in Role for topic in topics_for_principal(_principal(role))
    )


def test_drivers_and_customers_hear_only_their_own_topics() -> None:
    assert topics_for_principal(_principal(Role.DRIVER)) == {"driver:7", "user:7"}
    assert topics_for_principal(_principal(Role.CUSTOMER)) == {"user:7", "orders-of:7"}
    assert all(
        not topic.startswith("orders-of:")
        for role in Role
        if role != Role.CUSTOMER
        for topic in topics_for_principal(_principal(role))
    )


def test_private_account_events_go_to_the_person_only() -> None:
    assert topics_for(Event(type="user.profile_updated", subject="user:3", data={})) == {"user:3"}
    assert topics_for(Event(type="user.permissions_changed", subject="user:3", data={})) == {
        "staff",
        "user:3",
    }


def test_a_new_account_is_news_for_the_team_only_and_a_customer_does_not_join_it() -> None:
    created = {"role": "customer", "name": "Cleo"}
    event = Event(type="user.created", subject="user:3", data=created)
    assert topics_for(event) == {"staff"}  # never the person's own feed or socket
    assert describe(event, "Comptoir") == "Cleo opened a customer account"
    colleague = Event(type="user.created", subject="user:4", data={"role": "driver", "name": "Dani"})
    assert describe(colleague, "Comptoir") == "Dani joined the team"


def test_an_order_of_a_customer_account_reaches_that_account_and_no_other() -> None:
    moved = {"previous": "placed", "reason": ""}
    accepted = Event(
        type="order.accepted", subject="order:3", data={"number": "ORD-3", **moved, "account": 9}
    )
    assert topics_for(accepted) == {"orders", "track:3", "orders-of:9"}
    # An order with no account, and what the tracking page does not show, reach no account.
    assert topics_for(Event(type="order.accepted", subject="order:4", data={"number": "ORD-4", **moved})) == {
        "orders",
        "track:4",
    }
    imported = Event(type="order.file_imported", subject="orders", data={"account": 9})
    assert topics_for(imported) == {"orders"}
    forged = Event(
        type="order.accepted", subject="order:5", data={"number": "ORD-5", **moved, "account": "9"}
    )
    assert "orders-of:9" not in topics_for(forged)


def test_events_no_rule_claims_go_to_the_team() -> None:
    assert topics_for(Event(type="shop.updated", subject="shop:1", data={})) == {"staff"}


def test_only_our_own_origin_may_open_a_socket() -> None:
    base = "https://shop.example"
    assert is_allowed_origin("https://shop.example", "shop.example", "wss", base)
    assert is_allowed_origin("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", base)
    assert is_allowed_origin(None, "shop.example", "wss", base)
    assert not is_allowed_origin("https://evil.example", "shop.example", "wss", base)
    assert not is_allowed_origin("http://shop.example", "shop.example", "wss", base)


def test_an_order_held_by_the_risk_rules_says_why_in_words() -> None:
    event = Event(
        type="order.on_hold", subject="order:1", data={"number": "ORD-1", "reasons": ["country_mismatch"]}
    )
    assert describe(event, "Olive") == (
        "Order ORD-1 is on hold: The phone number's country is not the delivery address's country"
    )


def test_an_order_released_from_hold_is_not_told_as_a_new_order() -> None:
    placed = Event(type="order.placed", subject="order:1", data={"number": "ORD-1", "channel": "api"})
    released = Event(
        type="order.placed", subject="order:1", data={"number": "ORD-1", "previous": "on_hold", "reason": ""}
    )
    assert describe(placed, "") == "New order ORD-1 (api)"
    assert describe(released, "Olive") == "Olive released order ORD-1 from hold"
