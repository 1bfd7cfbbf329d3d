"""A return's status moves live: approved from another device, it changes on the return's own
page, on the returns list and in the returns panel of its order's page, without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.auth.rules import ROLE_PERMISSIONS, Role
from backend.orders.rules import Actor
from backend.returns import service
from backend.returns.models import Return
from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_order_queue import database
from tests.conftest import _run

pytestmark = pytest.mark.browser

SHOP = Actor(None, ROLE_PERMISSIONS[Role.STAFF])


async def _requested(data_dir: Path) -> tuple[int, int]:
    db = database(data_dir)
    try:
        async with db.read() as session:
            row = (
                await session.execute(select(Return.id, Return.order_id).where(Return.status == "requested"))
            ).first()
            assert row is not None
            return row[0], row[1]
    finally:
        await db.dispose()


async def _approve(data_dir: Path, return_id: int) -> None:
    db = database(data_dir)
    try:
        await db.run(service.approve_return, SHOP, return_id)
    finally:
        await db.dispose()


def test_a_returns_status_moves_live(new_context: ContextFactory, server_data_dir: Path) -> None:
    return_id, order_id = _run(_requested(server_data_dir))
    context = new_context()
    page = first_page(context)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, "owner@demo.test")
    page.goto(f"/returns/{return_id}")
    expect(page.locator("#return-status")).to_have_attribute("data-status", "requested")
    listing = context.new_page()
    listing.goto("/returns?status=requested")
    order = context.new_page()
    order.goto(f"/orders/{order_id}")
    in_panel = order.locator(f"#order-returns-{order_id} [data-return='{return_id}'] [data-status]")
    expect(in_panel).to_have_attribute("data-status", "requested")
    for each in (page, listing, order):
        expect(each.locator("#connection")).to_have_attribute("data-state", "online")

    _run(_approve(server_data_dir, return_id))  # the shop, from another device

    expect(page.locator("#return-status")).to_have_attribute("data-status", "approved", timeout=5000)
    expect(page.get_by_role("button", name="Receive")).to_be_visible()
    expect(in_panel).to_have_attribute("data-status", "approved", timeout=5000)
    # The list keeps its filter: the approved return leaves the "requested" list.
    expect(listing.locator(f"[data-return='{return_id}']")).to_have_count(0, timeout=5000)
    assert errors == []
