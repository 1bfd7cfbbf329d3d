"""The owner shares an invoice from the order's page and sees it opened, live: the recipient's
link opened on another device moves "Not opened yet" to "Opened by the customer 1 time" on the
owner's open page, without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.invoicing.models import Invoice
from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_order_queue import database
from tests.conftest import _run

pytestmark = pytest.mark.browser

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


async def _invoiced_order(data_dir: Path) -> int:
    db = database(data_dir)
    try:
        async with db.read() as session:
            issued = (Invoice.kind == "invoice") & (Invoice.status != "draft") & Invoice.order_id.is_not(None)
            return int(await session.scalar(select(Invoice.order_id).where(issued).order_by(Invoice.id)))
    finally:
        await db.dispose()


def test_the_owner_sees_the_customer_open_the_link_live(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    order_id = _run(_invoiced_order(server_data_dir))
    owner = first_page(new_context())
    errors: list[str] = []
    owner.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(owner, "owner@demo.test")
    owner.goto(f"/orders/{order_id}")
    panel = owner.locator(f"section#order-documents-{order_id}")
    expect(panel).to_be_visible()
    expect(owner.locator("#connection")).to_have_attribute("data-state", "online")
    panel.locator("select[name=document]").select_option(index=0)
    panel.locator("input[name=recipient]").fill("the customer")
    panel.get_by_role("button", name="Make a link").click()
    link = owner.locator(f"#order-documents-{order_id}-link")
    expect(link).to_be_visible()
    url = link.input_value()
    assert "/d/" in url
    newest = owner.locator(f"section#order-documents-{order_id} [data-link]").last
    expect(newest).to_contain_text("Not opened yet")

    customer = new_context()  # the customer's phone: another browser, nobody signed in
    # The first document drawn loads the PDF libraries: on a busy machine that takes a while.
    opened = customer.request.get(url, headers={"User-Agent": PHONE}, timeout=60_000)
    assert opened.status == 200
    assert opened.headers["content-type"] == "application/pdf"

    expect(newest).to_contain_text("Opened by the customer 1 time", timeout=5000)
    customer.request.get(url, headers={"User-Agent": PHONE}, timeout=60_000)
    expect(newest).to_contain_text("Opened by the customer 2 times", timeout=5000)
    expect(link).to_have_value(url)  # the panel's redraws leave the link shown once where it was
    assert errors == []
