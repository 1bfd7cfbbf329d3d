"""Each person's own first screen on a phone: a customer's orders follow the shop's decisions
live, a visitor opening the app is shown the shop, and the app stays installable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.auth.models import User
from backend.auth.rules import ROLE_PERMISSIONS, Permission, Role
from backend.orders import service
from backend.orders.drafts import CustomerDetails, OrderDraft, WantedLine
from backend.orders.rules import Actor
from backend.orders.views import PlacedOrder
from tests.api.stock_helpers import stock_up
from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_app_shell import wait_for_worker
from tests.browser.test_order_queue import database
from tests.conftest import _run

pytestmark = pytest.mark.browser

CUSTOMER = "customer@demo.test"


async def _place_as_the_demo_customer(data_dir: Path) -> PlacedOrder:
    """Jeanne orders in the shop, signed in: the order joins her account."""
    db = database(data_dir)
    try:
        async with db.read() as session:
            jeanne = await session.scalar(select(User.id).where(User.email == CUSTOMER))
        await stock_up(db, "SAL-PENNE-500")
        actor = Actor(jeanne, ROLE_PERMISSIONS[Role.CUSTOMER], is_customer=True)
        details = CustomerDetails("Jeanne Petit", CUSTOMER, "+33611223344")
        wanted = OrderDraft(
            details, [WantedLine("SAL-PENNE-500", 1)], "pickup", "cash", "storefront", None, "BTQ"
        )
        return await service.place_order(db, actor, wanted)
    finally:
        await db.dispose()


async def _accept(data_dir: Path, order: PlacedOrder) -> None:
    db = database(data_dir)
    try:  # the shop, from its own device
        await service.accept_order(db, Actor(None, frozenset({Permission.ORDERS_MANAGE})), order.id)
    finally:
        await db.dispose()


def test_a_customers_orders_follow_the_shops_decision_live(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    order = _run(_place_as_the_demo_customer(server_data_dir))
    page = first_page(new_context())
    sign_in(page, CUSTOMER)

    assert page.url.endswith("/")
    expect(page.locator(".app-bar__title")).to_have_text("My orders")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link").first).to_have_text("My orders")
    row = page.locator(f"#my-order-{order.id}")
    expect(row).to_have_attribute("data-status", order.status)
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")

    _run(_accept(server_data_dir, order))

    expect(row).to_have_attribute("data-status", "accepted", timeout=5000)
    expect(row).to_contain_text("Accepted")
    expect(page.locator(".toast").last).to_contain_text(f"Order {order.number}: Accepted by the shop")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    row.get_by_role("link").click()
    expect(page.locator("#status-title")).to_have_attribute("data-status", "accepted")


def test_the_installed_app_opens_on_the_shop_for_a_visitor_and_stays_installable(page: Page) -> None:
    page.goto("/")  # the manifest's start_url

    assert page.url.endswith("/shop")
    wait_for_worker(page)
    cdp = page.context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []  # the browser read every member, shortcuts included
    declared = json.loads(manifest["data"])
    assert declared["start_url"] == "/"  # each person's own home (dashboard.routes.home)
    assert [shortcut["url"] for shortcut in declared["shortcuts"]] == ["/shop", "/shop/cart"]


def test_a_driver_opens_on_their_run(page: Page) -> None:
    sign_in(page, "driver@demo.test")

    expect(page.locator(".app-bar__title")).to_have_text("Today's run")
    expect(page.locator("#driver-stops > li").first).to_be_visible()  # the demo run under way
    expect(page.locator("#activity")).to_have_count(0)
