"""The tracking page in Chromium: offline it shows the order as last known, with the moment it
was known; at 390 and 320 px it scrolls without going sideways, in each mode and stage (placed,
ready for pickup with its code, shipped with the carrier's link, out for delivery with the driver
on the way, delivered with the photo and the rating form), and so does the customer's "My
orders". Screenshots of each land in ``screens/`` (``make screens``): look at them."""

from __future__ import annotations

import contextlib
import uuid
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.auth.models import User
from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.delivery import planning, proofs
from backend.delivery import service as delivery
from backend.delivery.rules import DropOff, Fix
from backend.fulfilment import service as fulfilment
from backend.fulfilment.rules import pickup_key
from backend.kernel.db import utcnow
from backend.kernel.settings import load_secret
from backend.orders import service
from backend.orders.drafts import Address, CustomerDetails, OrderDraft, WantedLine
from backend.orders.rules import Actor
from backend.orders.views import PlacedOrder
from backend.web import vendoring
from tests.api.stock_helpers import stock_up
from tests.api.tracking_fixtures import photo, signature
from tests.browser import page_audit as audit
from tests.browser.conftest import ContextFactory, _unavailable, first_page, sign_in, wait_for
from tests.browser.test_app_shell import eventually, wait_for_worker, wait_until_cached
from tests.browser.test_order_queue import database
from tests.conftest import _run

pytestmark = pytest.mark.browser

HOME = Address("12 rue Oberkampf", "Paris", "75011", "FR", 48.8650, 2.3770)
NEXT_DOOR = Address("5 avenue Parmentier", "Paris", "75011", "FR", 48.8610, 2.3780)
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


async def _people(db) -> tuple[Actor, Actor]:
    async with db.read() as session:
        ids = dict((await session.execute(select(User.email, User.id))).all())
    owner = Actor(ids["owner@demo.test"], ROLE_PERMISSIONS[Role.OWNER])
    driver = Actor(ids["driver@demo.test"], ROLE_PERMISSIONS[Role.DRIVER])
    return owner, driver


def _draft(mode: str, address: Address | None = HOME) -> OrderDraft:
    shopper = CustomerDetails("Lou Client", f"lou-{uuid.uuid4().hex[:8]}@example.com")
    location = "BTQ" if mode == "pickup" else None
    lines = [WantedLine("SAL-PENNE-500", 2)]
    return OrderDraft(shopper, lines, mode, "card", "storefront", address, location=location)


async def _packed(db, owner: Actor, order: PlacedOrder) -> None:
    summary = await service.accept_order(db, owner, order.id)
    await db.run(fulfilment.start_batch, owner, summary.location_id, [fulfilment.Seen(order.id)])
    await db.run(fulfilment.confirm_pick, owner, order.id, "SAL-PENNE-500", 2)
    await db.run(fulfilment.pack, owner, order.id, 1, 900)


async def _stages(data_dir: Path) -> dict[str, str]:
    """An order at each stage a customer sees; its tracking token, by stage."""
    db = database(data_dir)
    try:
        owner, driver = await _people(db)
        await stock_up(db, "SAL-PENNE-500")
        place = lambda mode, address=HOME: service.place_order(db, Actor(None), _draft(mode, address))  # noqa: E731
        placed = await place("delivery")
        pickup = await place("pickup", None)
        await _packed(db, owner, pickup)
        await db.run(fulfilment.ready_for_pickup, owner, pickup_key(load_secret(data_dir)), pickup.id)
        shipped = await place("shipping")
        await _packed(db, owner, shipped)
        await db.run(fulfilment.ship, owner, shipped.id, "colissimo", "6A12345678901")
        first, second = await place("delivery"), await place("delivery", NEXT_DOOR)
        for order in (first, second):
            await _packed(db, owner, order)
        run = await planning.plan_run(
            db, owner, driver.user_id, date.today(), [first.id, second.id], starts_at=utcnow()
        )
        run = await db.run(delivery.start_run, driver, run.id, version=run.version)
        await db.run(delivery.record_position, driver, run.id, Fix(48.8640, 2.3700, 12))
        ahead = next(o.order_id for o in run.stops[0].orders)
        kept = proofs.keep(data_dir / "proofs", photo(), signature())
        await db.run(
            delivery.confirm_drop_off,
            driver,
            run.id,
            run.stops[0].id,
            DropOff("Lou", 48.8650, 2.3770, 10),
            proofs=kept,
        )
        done, on_the_way = (first, second) if ahead == first.id else (second, first)
        return {
            "placed": placed.tracking_token,
            "ready-for-pickup": pickup.tracking_token,
            "shipped": shipped.tracking_token,
            "out-for-delivery": on_the_way.tracking_token,
            "delivered": done.tracking_token,
        }
    finally:
        await db.dispose()


async def _accept(data_dir: Path, token: str) -> None:
    from backend.storefront import tracking

    db = database(data_dir)
    try:
        owner, _ = await _people(db)
        async with db.read() as session:
            order_id = await tracking.tracked_order_id(session, token)
        assert order_id is not None
        await service.accept_order(db, owner, order_id)
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def axe() -> None:
    """axe-core, fetched as the page audit fetches it."""
    with contextlib.suppress(vendoring.NpmNotFoundError):
        vendoring.vendor(audit.AXE_DIR, (audit.AXE,))
    if not vendoring.is_current(audit.AXE, audit.AXE_DIR):
        _unavailable("axe-core is not vendored and npm is not there to fetch it")


@pytest.fixture(scope="module")
def stages(server: str, server_data_dir: Path) -> dict[str, str]:
    return _run(_stages(server_data_dir))


def test_the_tracking_page_offline_shows_the_last_state(
    new_context: ContextFactory, server_data_dir: Path, stages: dict[str, str]
) -> None:
    token = _run(_placed_token(server_data_dir))
    context = new_context()
    page = first_page(context)
    page.goto(f"/t/{token}")
    wait_for_worker(page)
    page.reload()
    wait_until_cached(page, f"/t/{token}")
    _run(_accept(server_data_dir, token))  # the shop accepts it, on another device
    wait_for(page, "document.getElementById('status-title')?.dataset.status === 'accepted'")
    # The live part redrew itself: the copy kept for offline reading follows (tracking.js).
    kept = "path => caches.match(path).then(r => r.text()).then(t => t.includes('data-status=\"accepted\"'))"
    eventually(page, kept, f"/t/{token}")
    seen = page.locator("#seen-at").inner_text()
    context.set_offline(True)
    page.reload()
    expect(page.locator("#status-title")).to_have_attribute("data-status", "accepted")
    expect(page.locator("#seen-at")).to_contain_text("As of")
    expect(page.locator(".track-seen__offline")).to_be_visible()
    assert page.locator("#seen-at").inner_text().startswith(seen.split(" · ")[0])
    assert page.evaluate(NO_SIDEWAYS)
    audit.screenshot(page, "anonymous", "390x844", "t-token-offline")
    page.set_viewport_size(audit.SIZES["320x640"])
    assert page.evaluate(NO_SIDEWAYS)
    audit.screenshot(page, "anonymous", "320x640", "t-token-offline")


async def _placed_token(data_dir: Path) -> str:
    db = database(data_dir)
    try:
        return (await service.place_order(db, Actor(None), _draft("delivery"))).tracking_token
    finally:
        await db.dispose()


@pytest.mark.parametrize("stage", ["placed", "ready-for-pickup", "shipped", "out-for-delivery", "delivered"])
def test_each_stage_reads_whole_on_a_phone(page: Page, stages: dict[str, str], stage: str, axe: None) -> None:
    parts = {
        "ready-for-pickup": "#pickup-code",
        "shipped": "#carrier-link",
        "out-for-delivery": "#driver-map",
        "delivered": "#rating-form",
    }
    for size, viewport in audit.SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(f"/t/{stages[stage]}")
        wait_for(page, "document.readyState === 'complete'")
        if stage in parts:
            expect(page.locator(parts[stage])).to_be_visible()
        if stage == "delivered":
            wait_for(page, "document.querySelector('.proof-photo')?.naturalWidth > 0")
        assert audit.layout_faults(page) == [], f"{stage} at {size}"
        assert page.evaluate(NO_SIDEWAYS), f"{stage} at {size}"
        if size == "390x844":
            assert audit.axe_violations(page) == [], stage
        audit.screenshot(page, "anonymous", size, f"t-token-{stage}")


def test_my_orders_reads_whole_and_orders_again_in_one_tap(page: Page) -> None:
    sign_in(page, "customer@demo.test")
    for size, viewport in audit.SIZES.items():
        page.set_viewport_size(viewport)
        page.goto("/")
        assert audit.layout_faults(page) == [], size
        assert page.evaluate(NO_SIDEWAYS), size
        audit.screenshot(page, "customer", size, "my-orders")
    with page.expect_navigation():
        page.locator(".my-order__again button").first.click()
    expect(page.locator("#cart-notices")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS)
    audit.screenshot(page, "customer", "320x640", "my-orders-again")
