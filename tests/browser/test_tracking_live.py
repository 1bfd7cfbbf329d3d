"""A shopper's tracking page follows the shop's decisions as they happen, without a reload and
long before its 30-second fallback would ask again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ContextFactory, first_page
from tests.browser.test_order_queue import _hold_then, _place
from tests.conftest import _run

pytestmark = pytest.mark.browser


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
