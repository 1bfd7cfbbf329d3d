"""The owner's acceptance queue on a phone: orders arrive live, and a decision taken without a
network (accepting, releasing a hold) is sent once it returns, applied exactly once, or shown as a
conflict when the order changed meanwhile."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from backend.auth.rules import Permission
from backend.kernel.db import Database
from backend.kernel.events import Event
from backend.orders import service
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.models import Order
from backend.orders.rules import Actor
from backend.orders.views import PlacedOrder
from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_app_shell import OWNER, eventually, goto, wait_for_worker, wait_until_cached
from tests.browser.test_offline_catalog import OUTBOX_EMPTY
from tests.conftest import _run

pytestmark = pytest.mark.browser

CACHED_WITH = "id => caches.match('/orders').then((copy) => copy.text()).then((html) => html.includes(id))"
ADDRESS = Address("12 rue Oberkampf", "Paris", "75011", "FR")


def database(data_dir: Path) -> Database:
    return Database(f"sqlite+aiosqlite:///{data_dir / 'comptoir.db'}")


async def _place(data_dir: Path) -> PlacedOrder:
    # A new shopper each time, so that no risk rule holds the order.
    shopper = CustomerDetails("Lou Client", f"lou-{uuid.uuid4().hex[:8]}@example.com")
    wanted = OrderDraft(shopper, [WantedLine("SAL-PENNE-500", 2)], "delivery", "card", "storefront", ADDRESS)
    db = database(data_dir)
    try:
        return await service.place_order(db, Actor(None), wanted)
    finally:
        await db.dispose()


async def _cancel(data_dir: Path, order: PlacedOrder) -> None:
    db = database(data_dir)
    try:
        owner = Actor(None, frozenset({Permission.ORDERS_MANAGE}))  # as the shop, from another device
        await service.cancel_order(db, owner, order.id, "The customer called it off")
    finally:
        await db.dispose()


async def _hold_then(data_dir: Path, order: PlacedOrder, *, accept: bool = False) -> None:
    """The shop holds the order from another device; with ``accept``, it accepts it afterwards."""
    db = database(data_dir)
    try:
        shop = Actor(None, frozenset({Permission.ORDERS_MANAGE}))
        if not accept:
            await service.hold_order(db, shop, order.id, "Check the payment")
        else:
            await service.accept_order(db, shop, order.id)
    finally:
        await db.dispose()


async def _releases(data_dir: Path, order_id: int) -> tuple[str, int]:
    """The order's status, and how many times it was released from hold."""
    db = database(data_dir)
    try:
        async with db.read() as session:
            status = await session.scalar(select(Order.status).where(Order.id == order_id))
            placed = await session.scalars(
                select(Event).where(Event.subject == f"order:{order_id}", Event.type == "order.placed")
            )
            return status, sum(1 for event in placed if event.data.get("previous") == "on_hold")
    finally:
        await db.dispose()


async def _decisions(data_dir: Path, order_id: int) -> tuple[str, int]:
    db = database(data_dir)
    try:
        async with db.read() as session:
            status = await session.scalar(select(Order.status).where(Order.id == order_id))
            accepted = await session.scalar(
                select(func.count()).where(
                    Event.subject == f"order:{order_id}", Event.type == "order.accepted"
                )
            )
        return status, int(accepted or 0)
    finally:
        await db.dispose()


def owner_on_the_cached_queue(context: BrowserContext) -> Page:
    page = first_page(context)
    sign_in(page, OWNER)
    wait_for_worker(page)
    page.goto("/orders")
    wait_until_cached(page, "/orders")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    return page


def shop_from_another_phone(shopper: Page) -> str:
    """A visitor orders through the storefront; returns the order's number from its tracking page."""
    shopper.goto("/shop?q=penne")
    shopper.get_by_role("button", name="Add Penne").first.click()
    expect(shopper.locator("#cart-bar")).to_contain_text("Cart: 1 item")
    shopper.goto("/shop/checkout")
    shopper.get_by_label("Your name").fill("Lou Client")
    shopper.get_by_label("E-mail").fill(f"lou-{uuid.uuid4().hex[:8]}@example.com")
    shopper.get_by_label("Street and number").fill(ADDRESS.line1)
    shopper.get_by_label("Postal code").fill(ADDRESS.postal_code)
    shopper.get_by_label("City").fill(ADDRESS.city)
    shopper.get_by_label("Country code").fill(ADDRESS.country)
    shopper.get_by_label("Cash on delivery").check()
    shopper.get_by_role("button", name="Place the order").click()
    expect(shopper.locator("#tracking-link")).to_be_visible()
    return shopper.locator("[data-order-number]").get_attribute("data-order-number")


def a_new_order_arrives(page: Page, data_dir: Path, shopper: Page | None = None) -> PlacedOrder:
    before = int(page.locator("#queue-count").text_content())
    if shopper is None:
        order = _run(_place(data_dir))
    else:
        number = shop_from_another_phone(shopper)
        arrived = page.locator("#order-queue > li", has_text=number)
        expect(arrived).to_have_count(1)  # no reload: it came over the live connection
        order_id = int(arrived.get_attribute("id").removeprefix("queue-card-"))
        order = PlacedOrder(order_id, number, "placed", 0, "EUR", 1, "")
    card = page.locator(f"#queue-card-{order.id}")
    expect(card).to_contain_text("Lou Client")  # fetched once announced: no reload
    expect(card.get_by_role("button", name="Accept")).to_be_visible()
    expect(page.locator("#queue-count")).to_have_text(str(before + 1))
    expect(page.locator("#order-queue > li").first).to_have_id(f"queue-card-{order.id}")
    # The copy kept for offline reading now shows it too.
    eventually(page, CACHED_WITH, f"queue-card-{order.id}")
    return order


def decide_offline_and_reload(page: Page, order: PlacedOrder, button: str = "Accept") -> None:
    page.context.set_offline(True)
    page.locator(f"#queue-card-{order.id}").get_by_role("button", name=button).click()
    outbox = page.locator("#outbox")
    expect(outbox).to_have_attribute("data-pending", "1")
    page.reload()  # from the worker's cache
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    expect(outbox).to_have_attribute("data-pending", "1")
    expect(outbox.locator("summary")).to_contain_text("1 to send")


def test_a_shop_order_arrives_live_and_an_offline_acceptance_is_applied_exactly_once(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    page = owner_on_the_cached_queue(new_context())
    shopper = first_page(new_context())  # a second phone, nobody signed in
    order = a_new_order_arrives(page, server_data_dir, shopper)
    decide_offline_and_reload(page, order)
    assert _run(_decisions(server_data_dir, order.id)) == ("placed", 0)

    page.context.set_offline(False)

    expect(page.locator(f"#queue-card-{order.id}")).to_have_count(0)
    eventually(page, OUTBOX_EMPTY)
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "0")
    page.wait_for_timeout(1000)  # time for any second sender (the worker, another replay)
    assert _run(_decisions(server_data_dir, order.id)) == ("accepted", 1)
    goto(page, f"/orders/{order.id}")
    expect(page.locator("#order-timeline > li").filter(has_text="accepted order")).to_have_count(1)


def test_an_order_cancelled_while_the_phone_was_offline_is_shown_as_a_conflict_not_accepted(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    page = owner_on_the_cached_queue(new_context())
    order = a_new_order_arrives(page, server_data_dir)
    decide_offline_and_reload(page, order)
    _run(_cancel(server_data_dir, order))

    page.context.set_offline(False)

    attention = page.locator(f"[data-attention='{order.id}']")
    expect(attention).to_be_visible()
    expect(attention.locator("[data-current-status]")).to_have_text("Cancelled")
    expect(attention).to_contain_text("was not applied")
    expect(attention).to_contain_text("no longer waiting for a decision")
    expect(page.locator("#outbox")).to_have_attribute("data-attention", "1")
    assert _run(_decisions(server_data_dir, order.id)) == ("cancelled", 0)


def held_on_the_cached_queue(page: Page, data_dir: Path) -> PlacedOrder:
    order = a_new_order_arrives(page, data_dir)
    _run(_hold_then(data_dir, order))
    card = page.locator(f"#queue-card-{order.id}")
    expect(card).to_have_attribute("data-status", "on_hold")  # redrawn live: no reload
    expect(card.get_by_role("button", name="Release hold")).to_be_visible()
    eventually(page, CACHED_WITH, f"/orders/{order.id}/release")
    return order


def test_a_hold_released_offline_is_sent_once_the_network_returns(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    page = owner_on_the_cached_queue(new_context())
    order = held_on_the_cached_queue(page, server_data_dir)
    decide_offline_and_reload(page, order, "Release hold")
    assert _run(_releases(server_data_dir, order.id)) == ("on_hold", 0)

    page.context.set_offline(False)

    card = page.locator(f"#queue-card-{order.id}")
    expect(card).to_have_attribute("data-status", "placed")  # back in the queue, waiting
    expect(card.get_by_role("button", name="Release hold")).to_have_count(0)
    eventually(page, OUTBOX_EMPTY)
    page.wait_for_timeout(1000)  # time for any second sender (the worker, another replay)
    assert _run(_releases(server_data_dir, order.id)) == ("placed", 1)


def test_a_hold_released_offline_on_an_order_accepted_meanwhile_is_shown_as_a_conflict(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    page = owner_on_the_cached_queue(new_context())
    order = held_on_the_cached_queue(page, server_data_dir)
    decide_offline_and_reload(page, order, "Release hold")
    _run(_hold_then(server_data_dir, order, accept=True))

    page.context.set_offline(False)

    attention = page.locator(f"[data-attention='{order.id}']")
    expect(attention).to_be_visible()
    expect(attention.locator("[data-current-status]")).to_have_text("Accepted")
    expect(attention).to_contain_text("“Release hold” was not applied")
    expect(page.locator("#outbox")).to_have_attribute("data-attention", "1")
    assert _run(_releases(server_data_dir, order.id)) == ("accepted", 0)


def test_an_order_page_follows_changes_made_elsewhere_and_leaves_an_open_form_alone(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    page = first_page(new_context())
    sign_in(page, OWNER)
    order = _run(_place(server_data_dir))
    page.goto(f"/orders/{order.id}")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    status = page.locator("#order-summary [data-status]")
    timeline = page.locator("#order-timeline > li")
    steps = timeline.count()

    _run(_hold_then(server_data_dir, order))  # the shop, from another device

    expect(status).to_have_attribute("data-status", "on_hold")  # no reload
    expect(timeline).to_have_count(steps + 1)
    expect(page.locator("#order-actions form[action$='/release']")).to_have_count(1)
    page.locator("#order-edit > summary").click()
    page.locator("#e-city").fill("Lyon")  # someone starts changing the address

    _run(_hold_then(server_data_dir, order, accept=True))

    expect(status).to_have_attribute("data-status", "accepted")
    expect(timeline).to_have_count(steps + 2)
    expect(page.locator("#e-city")).to_have_value("Lyon")  # what they typed is still theirs
    expect(page.locator("#order-edit")).to_have_attribute("open", "")
