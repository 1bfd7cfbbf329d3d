"""Picking with no signal (390×844): a picker opens a batch of two orders, loses the network,
confirms every line by typing what a scanner would and packs both orders, reloads, and comes back
online; both orders are packed exactly once, and the owner's board, open on another phone, shows
them packed without a reload. An order cancelled while the picker was offline is a conflict on the
phone, never picked."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from backend.auth.rules import Permission
from backend.catalog.models import Product
from backend.fulfilment import rules as fulfilment_rules
from backend.fulfilment import service as fulfilment
from backend.fulfilment.board import fulfilment_of
from backend.inventory.models import Location, StockLevel
from backend.kernel.events import Event
from backend.kernel.settings import load_secret
from backend.orders import service
from backend.orders.drafts import CustomerDetails, OrderDraft, WantedLine
from backend.orders.models import Order
from backend.orders.rules import Actor
from tests.browser import page_audit as audit
from tests.browser.conftest import ContextFactory, first_page, sign_in, wait_for
from tests.browser.test_app_shell import OWNER, eventually, wait_for_worker, wait_until_cached
from tests.browser.test_offline_catalog import OUTBOX_EMPTY
from tests.browser.test_order_queue import ADDRESS, database
from tests.conftest import _run

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
STAFF = "staff@demo.test"
SHOP = Actor(None, frozenset({Permission.ORDERS_MANAGE, Permission.ORDERS_PLACE}))


@dataclass(frozen=True)
class Accepted:
    order_id: int
    number: str
    location_id: int
    version: int
    lines: list[tuple[str, str | None, int]]  # sku, barcode, quantity


async def _products(data_dir: Path) -> list[tuple[str, str | None]]:
    """Two products with plenty free at the default location, the second with a barcode."""
    db = database(data_dir)
    try:
        async with db.read() as session:
            free = (StockLevel.on_hand - StockLevel.reserved).label("free")
            rows = await session.execute(
                select(Product.sku, Product.barcode)
                .join(StockLevel, StockLevel.product_id == Product.id)
                .where(Product.active, free >= 10)
                .order_by(Product.barcode.is_(None), Product.sku)
            )
            found = list(dict.fromkeys(tuple(row) for row in rows))
        with_code = next(row for row in found if row[1])
        plain = next(row for row in found if row[0] != with_code[0])
        return [plain, with_code]
    finally:
        await db.dispose()


async def _accepted(data_dir: Path, wanted: list[tuple[str, int]]) -> Accepted:
    shopper = CustomerDetails("Pia Picking", f"pia-{uuid.uuid4().hex[:8]}@example.com")
    lines = [WantedLine(sku, quantity) for sku, quantity in wanted]
    db = database(data_dir)
    try:
        placed = await service.place_order(
            db, SHOP, OrderDraft(shopper, lines, "delivery", "card", "staff", ADDRESS)
        )
        order = await service.accept_order(db, SHOP, placed.id)
        async with db.read() as session:
            barcodes = dict((await session.execute(select(Product.sku, Product.barcode))).all())
        shown = [(sku, barcodes.get(sku), quantity) for sku, quantity in wanted]
        return Accepted(order.id, order.number, order.location_id, order.version, shown)
    finally:
        await db.dispose()


async def _cancel(data_dir: Path, order_id: int) -> None:
    db = database(data_dir)
    try:
        await service.cancel_order(db, SHOP, order_id, "The customer called it off")
    finally:
        await db.dispose()


async def _state(data_dir: Path, order_id: int) -> tuple[str, int, list[int]]:
    """The order's status, how many times it was packed, and what is picked of each line."""
    db = database(data_dir)
    try:
        async with db.read() as session:
            status = await session.scalar(select(Order.status).where(Order.id == order_id))
            packed = await session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.subject == f"order:{order_id}", Event.type == "order.packed")
            )
            view = await fulfilment_of(session, order_id)
        return status, packed, [line.picked_quantity for line in view.lines]
    finally:
        await db.dispose()


def phone(new_context: ContextFactory) -> BrowserContext:
    context = new_context()
    for page in context.pages:
        page.set_viewport_size(PHONE)
    return context


def picker_on_the_batch(context: BrowserContext, orders: list[Accepted]) -> str:
    """Signed in as staff, a batch of exactly these orders started from "To pick"; the batch's
    page is kept by the worker for offline use. Returns its path."""
    page = first_page(context)
    page.set_viewport_size(PHONE)
    sign_in(page, STAFF)
    wait_for_worker(page)
    page.goto(f"/fulfilment/pick?location={orders[0].location_id}")
    for box in page.locator("input[name=order]").all():
        box.set_checked(False)
    for order in orders:
        page.locator(f"input[name=order][value='{order.order_id}:{order.version}']").check()
    page.get_by_role("button", name="Start picking").click()
    page.wait_for_url("**/fulfilment/batches/*")
    path = page.url.split(page.url.split("/fulfilment")[0])[1]
    wait_until_cached(page, path)
    return path


def scan(page: Page, code: str, quantity: int) -> None:
    page.locator("#f-code").fill(code)
    page.locator("#f-quantity").fill(str(quantity))
    page.locator("#f-code").press("Enter")


def test_a_batch_picked_and_packed_offline_is_applied_once_and_shows_live_on_the_board(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    plain, with_code = _run(_products(server_data_dir))
    first = _run(_accepted(server_data_dir, [(plain[0], 2)]))
    second = _run(_accepted(server_data_dir, [(plain[0], 1), (with_code[0], 1)]))
    owner_context = phone(new_context)
    board = first_page(owner_context)
    board.set_viewport_size(PHONE)
    sign_in(board, OWNER)
    board.goto("/fulfilment")

    picker_context = phone(new_context)
    path = picker_on_the_batch(picker_context, [first, second])
    page = picker_context.pages[0]
    posts: list[str] = []
    picker_context.on("request", lambda request: request.method == "POST" and posts.append(request.url))

    picker_context.set_offline(True)
    page.reload()  # from the worker's copy
    scan(page, "NOT-IN-THIS-BATCH", 1)  # refused on the phone, with a sound
    expect(page.locator("[data-scan-message]")).to_have_text(
        "This product is not on any order of this batch."
    )
    scan(page, plain[0], 3)  # more than the first order's line asks for: refused on the phone
    expect(page.locator("[data-scan-message]")).to_have_text("That is more than the order asks for.")
    scan(page, plain[0].lower(), 2)  # the SKU as typed: the first order's line, in shelf order
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "1")
    scan(page, plain[0], 1)  # then the second order's
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "2")
    scan(page, with_code[1], 1)  # the barcode, as a scanner types it
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "3")
    for order in (first, second):
        form = page.locator(f"[data-pick-order='{order.order_id}'] form")
        expect(form.locator("[data-pack-waiting]")).to_be_hidden()
        form.locator("input[name=weight_g]").fill("1200")
        form.get_by_role("button", name=f"Pack {order.number}").click()
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "5")

    page.reload()  # still offline: the worker's copy, and what is queued counted on it
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "5")
    expect(page.locator(".pick-row--done")).to_have_count(3)
    assert posts == []
    assert _run(_state(server_data_dir, first.order_id))[0] == "picking"

    picker_context.set_offline(False)

    eventually(page, OUTBOX_EMPTY, seconds=30)
    assert len(posts) == 5
    assert _run(_state(server_data_dir, first.order_id)) == ("packed", 1, [2])
    assert _run(_state(server_data_dir, second.order_id)) == ("packed", 1, [1, 1])
    packed = board.locator("[data-stage='packed']")
    expect(packed.locator(f"[data-order='{first.number}']")).to_be_visible(timeout=15_000)
    expect(packed.locator(f"[data-order='{second.number}']")).to_be_visible(timeout=15_000)
    # Once the queue is sent the page lands where the last plain POST would have led.
    expect(page).to_have_url(re.compile(re.escape(path) + r"\?saved=packed$"), timeout=15_000)
    expect(page.locator("[data-pick-order] [data-conflict]")).to_have_count(0)
    expect(page.locator(".pick-row--done")).to_have_count(3)


def test_an_order_cancelled_while_the_picker_was_offline_is_a_conflict_never_picked(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    plain, _ = _run(_products(server_data_dir))
    kept = _run(_accepted(server_data_dir, [(plain[0], 1)]))
    cancelled = _run(_accepted(server_data_dir, [(plain[0], 1)]))
    context = phone(new_context)
    picker_on_the_batch(context, [kept, cancelled])
    page = context.pages[0]
    context.set_offline(True)
    page.reload()
    scan(page, plain[0], 1)
    # As a picker does: the next scan once the first is kept (the form clears itself when it is).
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "1")
    scan(page, plain[0], 1)
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "2")
    _run(_cancel(server_data_dir, cancelled.order_id))

    context.set_offline(False)

    expect(page.locator("#outbox")).to_have_attribute("data-attention", "1", timeout=30_000)
    assert _run(_state(server_data_dir, cancelled.order_id)) == ("cancelled", 0, [0])
    assert _run(_state(server_data_dir, kept.order_id))[2] == [1]
    page.locator("#outbox summary").click()
    page.locator(".outbox__item").get_by_role("button").first.click()  # review the server's answer
    expect(page.locator("[data-refusal]")).to_contain_text("no longer being picked")
    expect(page.locator(f"[data-pick-order='{cancelled.order_id}'] [data-conflict]")).to_be_visible()


async def _ready_for_pickup(data_dir: Path, sku: str) -> tuple[str, str]:
    """A pickup order taken to the counter by the shop's commands: (its tracking token, its code)."""
    shopper = CustomerDetails("Rita Retrait", f"rita-{uuid.uuid4().hex[:8]}@example.com")
    wanted = OrderDraft(shopper, [WantedLine(sku, 1)], "pickup", "card", "storefront", None, location="BTQ")
    db = database(data_dir)
    try:
        placed = await service.place_order(db, Actor(None), wanted)
        order = await service.accept_order(db, SHOP, placed.id)
        staff = Actor(None, frozenset({Permission.ORDERS_MANAGE}))
        await db.run(fulfilment.start_batch, staff, order.location_id, [fulfilment.Seen(order.id)])
        await db.run(fulfilment.confirm_pick, staff, order.id, sku, 1)
        await db.run(fulfilment.pack, staff, order.id, 1, 300)
        key = fulfilment_rules.pickup_key(_secret(data_dir))
        ready = await db.run(fulfilment.ready_for_pickup, staff, key, order.id)
        return placed.tracking_token, ready.pickup_code
    finally:
        await db.dispose()


def _secret(data_dir: Path) -> str:
    return load_secret(data_dir)


def test_the_customer_sees_the_pickup_code_and_its_qr_code_on_the_tracking_page(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    sku = _run(_boutique_sku(server_data_dir))
    token, code = _run(_ready_for_pickup(server_data_dir, sku))
    page = first_page(new_context())
    page.set_viewport_size(PHONE)
    page.goto(f"/t/{token}")
    expect(page.locator("#pickup-code")).to_have_text(code)
    expect(page.locator("#pickup img.pickup-code__qr")).to_be_visible()
    # The tracking part is drawn again when its socket opens: measured once it has settled.
    wait_for(
        page, "document.querySelector('#pickup img.pickup-code__qr')?.getBoundingClientRect().width >= 150"
    )
    audit.screenshot(page, "anonymous", "390x844", "t-token-pickup-code")
    assert audit.layout_faults(page) == []


async def _boutique_sku(data_dir: Path) -> str:
    db = database(data_dir)
    try:
        async with db.read() as session:
            free = StockLevel.on_hand - StockLevel.reserved
            return await session.scalar(
                select(Product.sku)
                .join(StockLevel, StockLevel.product_id == Product.id)
                .join(Location, Location.id == StockLevel.location_id)
                .where(Location.code == "BTQ", Product.active, free >= 3)
                .order_by(Product.sku)
                .limit(1)
            )
    finally:
        await db.dispose()
