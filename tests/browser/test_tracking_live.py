"""A shopper's tracking page follows the shop's decisions as they happen, without a reload and
long before its 30-second fallback would ask again."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.auth.models import User
from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.delivery import planning
from backend.delivery import service as delivery
from backend.delivery.rules import Fix
from backend.kernel.db import Database, utcnow
from backend.orders import service
from backend.orders.rules import Actor
from backend.orders.views import PlacedOrder
from tests.api.stock_helpers import stock_up
from tests.browser import page_audit as audit
from tests.browser.conftest import ContextFactory, first_page, sign_in, wait_for
from tests.browser.test_order_queue import _hold_then, _place, database
from tests.browser.test_tracking_page import NO_SIDEWAYS, _draft, _packed, _people
from tests.conftest import _run

pytestmark = pytest.mark.browser
CUSTOMER = "customer@demo.test"


def test_the_tracking_page_shows_the_shops_decisions_live(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    order = _run(_place(server_data_dir))
    page = first_page(new_context())  # the shopper's phone: nobody signed in
    errors: list[str] = []  # htmx reports its errors (a trigger it may not evaluate…) on the console
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"/t/{order.tracking_token}")
    status = page.locator("#status-title")
    expect(status).to_have_attribute("data-status", "placed")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")

    _run(_hold_then(server_data_dir, order))  # the shop, from its own device

    expect(status).to_have_attribute("data-status", "on_hold", timeout=5000)
    expect(page.locator("#steps")).not_to_contain_text("Check the payment")  # the shop's words stay there

    _run(_hold_then(server_data_dir, order, accept=True))

    expect(status).to_have_attribute("data-status", "accepted", timeout=5000)
    expect(page.locator("#steps > li")).to_have_count(3)  # received, being checked, accepted
    assert errors == []


async def _shopper(db: Database, customer: str | None) -> Actor:
    """The signed-in customer ``customer`` shopping (their orders join their account), or nobody."""
    if customer is None:
        return Actor(None)
    async with db.read() as session:
        account = await session.scalar(select(User.id).where(User.email == customer))
    return Actor(account, ROLE_PERMISSIONS[Role.CUSTOMER], is_customer=True)


async def _on_its_way(data_dir: Path, customer: str | None = None) -> tuple[PlacedOrder, int]:
    """An order whose driver is on the way to it (its run's only stop), seen at a first position;
    the order and the run. ``customer``: placed in the shop by that signed-in customer."""
    db = database(data_dir)
    try:
        owner, driver = await _people(db)
        await stock_up(db, "SAL-PENNE-500")
        order = await service.place_order(db, await _shopper(db, customer), _draft("delivery"))
        await _packed(db, owner, order)
        run = await planning.plan_run(db, owner, driver.user_id, date.today(), [order.id], starts_at=utcnow())
        run = await db.run(delivery.start_run, driver, run.id, version=run.version)
        await db.run(delivery.record_position, driver, run.id, Fix(48.8600, 2.3650, 12))
        return order, run.id
    finally:
        await db.dispose()


async def _ordered_by(data_dir: Path, customer: str) -> PlacedOrder:
    db = database(data_dir)
    try:
        return await service.place_order(db, await _shopper(db, customer), _draft("delivery"))
    finally:
        await db.dispose()


async def _driver_at(data_dir: Path, run_id: int, latitude: float, longitude: float) -> None:
    db = database(data_dir)
    try:
        _, driver = await _people(db)
        await db.run(delivery.record_position, driver, run_id, Fix(latitude, longitude, 12))
    finally:
        await db.dispose()


def _follows_the_driver(page: Page, server_data_dir: Path, run_id: int) -> None:
    """The driver's marker on the page's small map moves to where the driver, from their phone,
    says they are, on the same map (not a new one drawn over it), which follows them."""
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    canvas = page.locator("#driver-map-canvas.leaflet-container")
    expect(canvas).to_be_visible()
    expect(canvas.locator("path.leaflet-interactive")).to_have_count(1)  # the driver's marker
    expect(page.locator("#driver-map")).to_contain_text("See the driver on a map")  # the words stay
    shown = "JSON.parse(document.getElementById('driver-map-canvas').dataset.shown)[0]"
    assert page.evaluate(f"[{shown}.lat, {shown}.lon]") == [48.86, 2.365]
    # Marks the map drawn: a redraw that drew a new one would lose the mark.
    page.evaluate("document.getElementById('driver-map-canvas').drawnOnce = true")

    _run(_driver_at(server_data_dir, run_id, 48.8635, 2.3720))  # the driver, from their phone

    wait_for(page, f"{shown}.lat === 48.8635 && {shown}.lon === 2.372", seconds=5)
    assert page.evaluate("document.getElementById('driver-map-canvas').drawnOnce") is True
    expect(canvas.locator("path.leaflet-interactive")).to_have_count(1)
    # The driver left the first view: the map followed, and the marker is in sight.
    box, dot = canvas.bounding_box(), canvas.locator("path.leaflet-interactive").bounding_box()
    assert box is not None
    assert dot is not None
    assert box["x"] <= dot["x"] <= dot["x"] + dot["width"] <= box["x"] + box["width"]
    assert box["y"] <= dot["y"] <= dot["y"] + dot["height"] <= box["y"] + box["height"]


def test_the_driver_on_the_way_moves_on_a_small_map_live(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    order, run_id = _run(_on_its_way(server_data_dir))
    page = first_page(new_context())  # the shopper's phone: nobody signed in
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"/t/{order.tracking_token}")
    _follows_the_driver(page, server_data_dir, run_id)
    audit.screenshot(page, "anonymous", "390x844", "t-token-driver-map")
    page.set_viewport_size(audit.SIZES["320x640"])
    assert page.evaluate(NO_SIDEWAYS)
    audit.screenshot(page, "anonymous", "320x640", "t-token-driver-map")
    assert errors == []


def test_a_signed_in_customer_follows_their_driver_from_my_orders_live(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    """Over the account's own socket, as the tracking page does over its own; "My orders" itself
    shows no position, and asks for nothing when the driver moves."""
    order, run_id = _run(_on_its_way(server_data_dir, customer=CUSTOMER))
    page = first_page(new_context())
    page.set_viewport_size(audit.SIZES["390x844"])
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    heard: list[str | bytes] = []  # what the page's socket is sent

    def keep(frame: str | bytes) -> None:  # Playwright takes no builtin (``heard.append``) as a handler
        heard.append(frame)

    page.on("websocket", lambda socket: socket.on("framereceived", keep))
    sign_in(page, CUSTOMER)
    expect(page.locator(f"#my-order-{order.id}")).to_have_attribute("data-status", "out_for_delivery")
    audit.screenshot(page, "customer", "390x844", "my-orders-out-for-delivery")
    with page.expect_navigation():
        page.locator(f"#my-order-{order.id} a").click()
    assert page.url.endswith(f"/my/orders/{order.id}")
    _follows_the_driver(page, server_data_dir, run_id)
    assert page.evaluate(NO_SIDEWAYS)
    audit.screenshot(page, "customer", "390x844", "my-orders-driver-map")

    with page.expect_navigation():
        page.locator(".home-links a[href='/']").click()
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    another = _run(_ordered_by(server_data_dir, CUSTOMER))
    expect(page.locator(f"#my-order-{another.id}")).to_be_visible()  # the list asked for itself again
    asked: list[str] = []
    page.on(
        "request", lambda request: asked.append(request.url) if request.headers.get("hx-request") else None
    )
    told = len(heard)
    _run(_driver_at(server_data_dir, run_id, 48.8640, 2.3730))
    for _ in range(50):  # the socket's frames reach this side while Playwright waits
        if any("tracking-changed" in str(frame) for frame in heard[told:]):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the driver's position never reached the account's socket")
    page.wait_for_timeout(500)
    assert asked == []  # not the list again for a position it does not show
    assert errors == []
