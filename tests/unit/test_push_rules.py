"""Web Push rules: who may hear what, which subscriptions are acceptable, what answers mean."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.auth.rules import ROLE_PERMISSIONS, Permission, Role
from backend.kernel.events import Event
from backend.push import rules
from backend.push.planning import Decided, _judge_stock
from backend.push.rules import Kind, Listener, Notice, Outcome

ALL = frozenset(kind.value for kind in Kind)
KEY = "B" + "A" * 86  # 65 bytes starting 0x04 once decoded
AUTH = "A" * 22  # 16 bytes


def person(role: Role, user_id: int = 1, permissions: frozenset[Permission] | None = None) -> Listener:
    granted = ROLE_PERMISSIONS[role] if permissions is None else permissions
    return Listener(ALL, user_id=user_id, role=role, permissions=granted)


def test_a_tracking_link_hears_its_own_order_only() -> None:
    link = Listener(ALL, order_id=7)
    assert rules.may_hear(link, Notice(Kind.ACCEPTED, order_id=7))
    assert not rules.may_hear(link, Notice(Kind.ACCEPTED, order_id=8))
    assert not rules.may_hear(link, Notice(Kind.NEW_ORDER, order_id=7))


def test_a_customer_hears_the_orders_of_their_account_only() -> None:
    cleo = person(Role.CUSTOMER, user_id=5)
    assert rules.may_hear(cleo, Notice(Kind.DELIVERED, order_id=1, account=5))
    assert not rules.may_hear(cleo, Notice(Kind.DELIVERED, order_id=2, account=6))
    assert not rules.may_hear(cleo, Notice(Kind.DELIVERED, order_id=3))  # an order of no account
    assert not rules.may_hear(cleo, Notice(Kind.NEW_ORDER, order_id=1))


def test_the_team_needs_the_permission_and_a_driver_hears_their_runs() -> None:
    assert rules.may_hear(person(Role.STAFF), Notice(Kind.NEW_ORDER, order_id=1))
    blind = person(Role.STAFF, permissions=ROLE_PERMISSIONS[Role.STAFF] - {Permission.ORDERS_VIEW})
    assert not rules.may_hear(blind, Notice(Kind.NEW_ORDER, order_id=1))
    assert rules.may_hear(blind, Notice(Kind.LOW_STOCK))
    driver = person(Role.DRIVER, user_id=9)
    assert rules.may_hear(driver, Notice(Kind.RUN, driver_id=9))
    assert not rules.may_hear(driver, Notice(Kind.RUN, driver_id=10))
    assert not rules.may_hear(driver, Notice(Kind.NEW_ORDER, order_id=1))
    gone = Listener(ALL, user_id=1, role=Role.OWNER, permissions=ROLE_PERMISSIONS[Role.OWNER], active=False)
    assert not rules.may_hear(gone, Notice(Kind.NEW_ORDER, order_id=1))


def test_only_a_kind_asked_for_is_heard() -> None:
    owner = Listener(frozenset({"low_stock"}), user_id=1, role=Role.OWNER, permissions=frozenset(Permission))
    assert not rules.may_hear(owner, Notice(Kind.NEW_ORDER, order_id=1))


def test_events_announce_kinds_and_a_release_from_hold_is_no_new_order() -> None:
    assert rules.notices_for("order.placed", 3, {"account": 4}) == [Notice(Kind.NEW_ORDER, 3, 4)]
    assert rules.notices_for("order.placed", 3, {"previous": "on_hold"}) == []
    assert rules.notices_for("order.rejected", 3, {}) == [Notice(Kind.CANCELLED, 3)]
    assert rules.notices_for("order.picking", 3, {}) == []
    assert rules.notices_for("delivery.run_changed", 2, {"driver": 9, "change": "reordered"}) == [
        Notice(Kind.RUN, driver_id=9)
    ]


def test_endpoints_must_be_public_https() -> None:
    assert rules.subscription_problems("https://fcm.googleapis.com/fcm/send/x", KEY, AUTH) == {}
    for endpoint in (
        "http://push.example.com/x",
        "https://127.0.0.1/x",
        "https://10.0.0.2/x",
        "https://localhost/x",
    ):
        assert rules.subscription_problems(endpoint, KEY, AUTH) == {"endpoint": "invalid_endpoint"}
    assert rules.subscription_problems("http://127.0.0.1:9/x", KEY, AUTH, allow_local=True) == {}
    assert rules.subscription_problems("https://push.example.com/x", "AAAA", "AA") == {
        "p256dh": "invalid_key",
        "auth": "invalid_key",
    }


def test_answers_and_retry_after() -> None:
    assert [rules.outcome_of(s) for s in (201, 404, 410, 413, 429, 503, None, 400)] == [
        Outcome.DONE,
        Outcome.GONE,
        Outcome.GONE,
        Outcome.TOO_BIG,
        Outcome.RETRY,
        Outcome.RETRY,
        Outcome.RETRY,
        Outcome.REFUSED,
    ]
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert rules.retry_after_seconds("120", now) == 120
    assert rules.retry_after_seconds("Tue, 01 Dec 2026 12:01:00 GMT", now) == 60
    assert rules.retry_after_seconds("soon", now) is None
    assert rules.retry_delay(3, None) == 8
    assert rules.retry_delay(3, 120.0) == 120


def test_a_new_order_is_urgent_and_short_lived_and_delivered_can_wait() -> None:
    assert rules.DELIVERY[Kind.NEW_ORDER].urgency == "high"
    assert rules.DELIVERY[Kind.NEW_ORDER].ttl < rules.DELIVERY[Kind.DELIVERED].ttl
    assert rules.DELIVERY[Kind.DELIVERED].urgency == "low"


def _stock_event(event_id: int, free: int) -> Event:
    level = {"product_id": 1, "location_id": 2, "on_hand": free, "reserved": 0, "reorder_point": 3}
    return Event(id=event_id, type="stock.changed", subject="stock:1", data={"levels": [level]})


def test_a_low_stock_raised_then_cleared_in_one_stretch_ends_cleared() -> None:
    """Read in one batch, "low, still low, back above" leaves no alert standing: the next low is
    told again (the queue clears before it raises, so a raise must not outlive a later clear)."""
    decided = Decided()
    alerted: set[str] = set()
    for event_id, free in ((1, 1), (2, 0), (3, 4)):
        _judge_stock(_stock_event(event_id, free), alerted, {}, decided)
    key = rules.stock_levels(_stock_event(1, 1).data)[0].key
    assert [told.event_id for told in decided.told] == [1]
    assert key in decided.clear_alerts
    assert key not in decided.raise_alerts
    assert alerted == set()


def test_a_low_stock_cleared_then_raised_in_one_stretch_ends_raised() -> None:
    decided = Decided()
    alerted = {rules.stock_levels(_stock_event(1, 1).data)[0].key}  # raised by an earlier stretch
    for event_id, free in ((3, 4), (4, 2)):
        _judge_stock(_stock_event(event_id, free), alerted, {}, decided)
    key = rules.stock_levels(_stock_event(1, 1).data)[0].key
    assert [told.event_id for told in decided.told] == [4]
    assert key in decided.clear_alerts
    assert key in decided.raise_alerts  # the queue clears, then raises: raised at the end
