"""The order service against a real database: placing, the lifecycle, editing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.auth.models import User
from backend.auth.rules import Role
from backend.customers.models import Customer
from backend.inventory.models import Reservation
from backend.kernel.db import Database, utcnow
from backend.kernel.events import Event
from backend.kernel.numbering import Counter
from backend.kernel.tx import Tx
from backend.orders import service
from backend.orders.drafts import CustomerDetails, OrderRejected, WantedLine
from backend.orders.errors import OrderForbidden, OutOfStock, StaleOrder, TransitionRefused
from backend.orders.models import Order, OrderLine
from backend.orders.rules import Actor, OrderStatus
from tests.api.order_fixtures import LYON, actor_for, build_shop, draft
from tests.api.stock_fixtures import level


@pytest.fixture
async def shop(db: Database, users: dict[Role, User]):
    return await build_shop(db)


def staff(users: dict[Role, User]) -> Actor:
    return actor_for(Role.STAFF, users[Role.STAFF].id)


async def count(db: Database, model: type) -> int:
    async with db.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_placing_prices_from_the_catalog_reserves_stock_and_records_the_order(
    db: Database, users: dict[Role, User], shop
) -> None:
    placed = await service.place_order(db, staff(users), draft())
    assert (placed.status, placed.total_minor, placed.currency, placed.version) == ("placed", 900, "EUR", 1)
    assert placed.number.startswith("ORD-")
    assert (await level(db, shop.products["APPLE"], shop.warehouse)).reserved == 2
    async with db.read() as session:
        order = await session.get(Order, placed.id)
        lines = list(await session.scalars(select(OrderLine).order_by(OrderLine.position)))
        types = list(await session.scalars(select(Event.type).where(Event.subject == f"order:{placed.id}")))
    assert order.tax_minor == 26 + 67  # per line, half up: 5.5 % inside 5.00, 20 % inside 4.00
    assert [(line.sku, line.quantity, line.total_minor) for line in lines] == [
        ("APPLE", 2, 500),
        ("PEAR", 1, 400),
    ]
    assert types == ["order.placed"]


async def test_an_unknown_or_archived_sku_is_named_and_nothing_is_written(
    db: Database, users: dict[Role, User], shop
) -> None:
    with pytest.raises(OrderRejected) as caught:
        await service.place_order(
            db,
            staff(users),
            draft(lines=[WantedLine("APPLE", 1), WantedLine("OLD", 1), WantedLine("NOPE", 1)]),
        )
    assert caught.value.problems == {"lines[1].sku": "sku_unknown", "lines[2].sku": "sku_unknown"}
    assert await count(db, Order) == await count(db, Customer) == 0


async def test_a_short_line_is_named_and_nothing_is_written(
    db: Database, users: dict[Role, User], shop
) -> None:
    with pytest.raises(OutOfStock) as caught:
        await service.place_order(
            db, staff(users), draft(lines=[WantedLine("APPLE", 1), WantedLine("PEAR", 11)])
        )
    assert [(s.sku, s.wanted, s.available) for s in caught.value.short] == [("PEAR", 11, 10)]
    assert await count(db, Order) == await count(db, Reservation) == await count(db, Counter) == 0
    assert (await level(db, shop.products["APPLE"], shop.warehouse)).reserved == 0


async def test_a_returning_customer_is_matched_by_email_or_phone(
    db: Database, users: dict[Role, User], shop
) -> None:
    await service.place_order(db, staff(users), draft())
    await service.place_order(
        db, staff(users), draft(customer=CustomerDetails("Ada L.", None, "+33 6 12 34 56 78"))
    )
    await service.place_order(db, staff(users), draft(customer=CustomerDetails("Ada", "ADA@example.com")))
    assert await count(db, Customer) == 1


async def test_the_email_match_wins_and_missing_contact_details_are_filled_in(
    db: Database, users: dict[Role, User], shop
) -> None:
    first = await service.place_order(
        db, staff(users), draft(customer=CustomerDetails("Ada", "ada@example.com", "+33612345678"))
    )
    second = await service.place_order(
        db, staff(users), draft(customer=CustomerDetails("Bob", None, "+33 6 99 88 77 66"))
    )
    both = await service.place_order(
        db,
        staff(users),
        draft(customer=CustomerDetails("Ada", "ada@example.com", "+33 6 99 88 77 66")),
    )
    bob_again = await service.place_order(
        db, staff(users), draft(customer=CustomerDetails("Bob", "bob@example.com", "+33699887766"))
    )
    async with db.read() as session:
        customer_of = {
            order_id: await session.scalar(select(Order.customer_id).where(Order.id == order_id))
            for order_id in (first.id, second.id, both.id, bob_again.id)
        }
        bob = await session.get(Customer, customer_of[second.id])
    assert customer_of[both.id] == customer_of[first.id] != customer_of[second.id]
    assert customer_of[bob_again.id] == customer_of[second.id]
    assert (bob.email, bob.phone) == ("bob@example.com", "+33699887766")
    async with db.read() as session:
        ada = await session.get(Customer, customer_of[first.id])
    assert (ada.email, ada.phone) == ("ada@example.com", "+33612345678")  # not overwritten


async def test_the_nearest_location_that_has_everything_serves_a_delivery(
    db: Database, users: dict[Role, User], shop
) -> None:
    placed = await service.place_order(db, staff(users), draft(lines=[WantedLine("APPLE", 1)], address=LYON))
    async with db.read() as session:
        assert (await session.get(Order, placed.id)).location_id == shop.boutique


async def test_a_pickup_must_be_at_a_pickup_point(db: Database, users: dict[Role, User], shop) -> None:
    with pytest.raises(OrderRejected) as caught:
        await service.place_order(
            db, staff(users), draft(fulfilment_mode="pickup", address=None, location="ENT")
        )
    assert caught.value.problems == {"location": "not_a_pickup_point"}


async def test_an_unknown_location_is_refused(db: Database, users: dict[Role, User], shop) -> None:
    with pytest.raises(OrderRejected) as caught:
        await service.place_order(db, staff(users), draft(location="MARS"))
    assert caught.value.problems == {"location": "location_unknown"}


async def test_the_third_order_within_an_hour_from_one_phone_is_held_with_its_reason(
    db: Database, users: dict[Role, User], shop
) -> None:
    lines = [WantedLine("APPLE", 1)]
    first = await service.place_order(db, staff(users), draft(lines=lines))
    second = await service.place_order(db, staff(users), draft(lines=lines))
    third = await service.place_order(db, staff(users), draft(lines=lines))
    assert (first.status, second.status, third.status) == ("placed", "placed", "on_hold")
    assert third.risk_reasons == ("many_recent_orders",)


async def test_staff_entered_orders_are_never_held(db: Database, users: dict[Role, User], shop) -> None:
    for _ in range(3):
        placed = await service.place_order(
            db, staff(users), draft(channel="staff", lines=[WantedLine("APPLE", 1)])
        )
    assert placed.status == "placed"


async def test_only_people_allowed_to_take_orders_use_channels_other_than_the_shop(
    db: Database, users: dict[Role, User], shop
) -> None:
    shopper = actor_for(Role.CUSTOMER, users[Role.CUSTOMER].id)
    with pytest.raises(OrderForbidden):
        await service.place_order(db, shopper, draft(channel="api"))
    placed = await service.place_order(db, shopper, draft(channel="storefront"))
    async with db.read() as session:
        customer = await session.scalar(select(Customer))
    assert customer.user_id == users[Role.CUSTOMER].id
    assert placed.status == "placed"


async def test_accepting_twice_accepts_once(db: Database, users: dict[Role, User], shop) -> None:
    placed = await service.place_order(db, staff(users), draft())
    accepted = await service.accept_order(db, staff(users), placed.id)
    assert (accepted.status, accepted.version) == ("accepted", 2)
    with pytest.raises(TransitionRefused):
        await service.accept_order(db, staff(users), placed.id)
    async with db.read() as session:
        assert await session.scalar(select(func.count()).where(Event.type == "order.accepted")) == 1


async def test_a_stale_version_is_refused_with_the_current_order(
    db: Database, users: dict[Role, User], shop
) -> None:
    placed = await service.place_order(db, staff(users), draft())
    await service.hold_order(db, staff(users), placed.id, "check the address", version=1)
    with pytest.raises(StaleOrder) as caught:
        await service.accept_order(db, staff(users), placed.id, version=1)
    assert (caught.value.current.status, caught.value.current.version) == ("on_hold", 2)


async def test_rejecting_needs_a_reason_and_releases_the_stock(
    db: Database, users: dict[Role, User], shop
) -> None:
    placed = await service.place_order(db, staff(users), draft())
    with pytest.raises(OrderRejected):
        await service.reject_order(db, staff(users), placed.id, " ")
    rejected = await service.reject_order(db, staff(users), placed.id, "closed today")
    assert rejected.status == "rejected"
    assert (await level(db, shop.products["APPLE"], shop.warehouse)).reserved == 0


async def test_a_customer_cancels_their_own_order_but_not_someone_elses(
    db: Database, users: dict[Role, User], shop
) -> None:
    shopper = actor_for(Role.CUSTOMER, users[Role.CUSTOMER].id)
    theirs = await service.place_order(db, shopper, draft(channel="storefront"))
    other = await service.place_order(
        db, staff(users), draft(customer=CustomerDetails("Bob", "bob@example.com"))
    )
    with pytest.raises(OrderForbidden):
        await service.cancel_order(db, shopper, other.id, "not mine")
    cancelled = await service.cancel_order(db, shopper, theirs.id, "changed my mind")
    assert cancelled.status == "cancelled"


async def test_dispatch_turns_the_reservation_into_a_sale(
    db: Database, users: dict[Role, User], shop
) -> None:
    placed = await service.place_order(db, staff(users), draft(lines=[WantedLine("APPLE", 2)]))
    owner = actor_for(Role.OWNER, users[Role.OWNER].id)
    for status in (
        OrderStatus.ACCEPTED,
        OrderStatus.PICKING,
        OrderStatus.PACKED,
        OrderStatus.OUT_FOR_DELIVERY,
    ):
        await service.transition_order(db, owner, placed.id, status)
    stock = await level(db, shop.products["APPLE"], shop.warehouse)
    assert (stock.on_hand, stock.reserved) == (8, 0)
    with pytest.raises(TransitionRefused):
        await service.cancel_order(db, owner, placed.id, "too late")


async def test_editing_re_reserves_recomputes_and_records_a_readable_diff(
    db: Database, users: dict[Role, User], shop
) -> None:
    placed = await service.place_order(db, staff(users), draft())
    edit = service.OrderEdit(lines=[WantedLine("APPLE", 3), WantedLine("PLUM", 1)])
    edited = await service.edit_order(db, staff(users), placed.id, edit, version=1)
    assert (edited.total_minor, edited.version) == (870, 2)
    assert (await level(db, shop.products["APPLE"], shop.warehouse)).reserved == 3
    assert (await level(db, shop.products["PEAR"], shop.warehouse)).reserved == 0
    async with db.read() as session:
        event = await session.scalar(select(Event).where(Event.type == "order.edited"))
    assert event.data["changes"] == ["APPLE: 2 → 3", "− PEAR × 1", "+ PLUM × 1"]


async def test_an_edit_beyond_the_stock_changes_nothing(db: Database, users: dict[Role, User], shop) -> None:
    placed = await service.place_order(db, staff(users), draft())
    with pytest.raises(OutOfStock):
        await service.edit_order(
            db, staff(users), placed.id, service.OrderEdit(lines=[WantedLine("APPLE", 11)])
        )
    assert (await level(db, shop.products["APPLE"], shop.warehouse)).reserved == 2
    async with db.read() as session:
        assert (await session.get(Order, placed.id)).version == 1


async def test_changing_the_location_moves_the_reservation(
    db: Database, users: dict[Role, User], shop
) -> None:
    placed = await service.place_order(db, staff(users), draft(lines=[WantedLine("APPLE", 2)]))
    moved = await service.change_location(db, staff(users), placed.id, "BTQ", version=1)
    assert moved.location_code == "BTQ"
    assert (await level(db, shop.products["APPLE"], shop.warehouse)).reserved == 0
    assert (await level(db, shop.products["APPLE"], shop.boutique)).reserved == 2


async def test_no_edits_once_picking_has_started(db: Database, users: dict[Role, User], shop) -> None:
    placed = await service.place_order(db, staff(users), draft())
    await service.accept_order(db, staff(users), placed.id)
    await service.transition_order(db, staff(users), placed.id, OrderStatus.PICKING)
    with pytest.raises(TransitionRefused) as caught:
        await service.edit_order(
            db, staff(users), placed.id, service.OrderEdit(lines=[WantedLine("APPLE", 1)])
        )
    assert caught.value.code == "not_editable"


def _counter_at(tx: Tx, value: int) -> None:
    tx.execute("UPDATE counters SET value = :value", {"value": value})


async def test_orders_are_numbered_one_after_the_other_and_a_number_past_its_width_is_not_cut(
    db: Database, users: dict[Role, User], shop
) -> None:
    """The series' first number and the ones after (on PostgreSQL, one statement bumps the counter
    and writes the number) read the same, in the order row and in the answer."""
    year = utcnow().year
    first = await service.place_order(db, staff(users), draft())
    second = await service.place_order(db, staff(users), draft())
    await db.run(_counter_at, 999_999)
    wide = await service.place_order(db, staff(users), draft())
    assert [first.number, second.number, wide.number] == [
        f"ORD-{year}-000001",
        f"ORD-{year}-000002",
        f"ORD-{year}-1000000",
    ]
    async with db.read() as session:
        stored = list(await session.scalars(select(Order.number).order_by(Order.id)))
    assert stored == [first.number, second.number, wide.number]
