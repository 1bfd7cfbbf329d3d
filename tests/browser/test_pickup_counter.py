"""The pickup counter on a phone (390×844): a hand-over without the code, on an identity check,
refused and answered in place (the page's script sends the form and shows the answer), comes back
as it was typed, so only the faulty part is changed before trying again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect
from sqlalchemy import select

from backend.orders.models import Order
from backend.orders.placing import hash_tracking_token
from tests.browser import page_audit as audit
from tests.browser.conftest import ContextFactory, first_page, sign_in
from tests.browser.test_app_shell import wait_for_worker
from tests.browser.test_fulfilment_offline import PHONE, STAFF, _boutique_sku, _ready_for_pickup
from tests.browser.test_order_queue import database
from tests.conftest import _run

pytestmark = pytest.mark.browser


async def _number(data_dir: Path, token: str) -> tuple[int, str]:
    db = database(data_dir)
    try:
        async with db.read() as session:
            found = await session.execute(
                select(Order.id, Order.number).where(Order.tracking_token_hash == hash_tracking_token(token))
            )
            order_id, number = found.one()
        return order_id, number
    finally:
        await db.dispose()


def _sent_by_the_page(page: Page) -> list[Request]:
    sent: list[Request] = []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/identity") and sent.append(r))
    return sent


def test_a_refused_identity_check_comes_back_as_it_was_typed(
    new_context: ContextFactory, server_data_dir: Path
) -> None:
    token, _ = _run(_ready_for_pickup(server_data_dir, _run(_boutique_sku(server_data_dir))))
    order_id, number = _run(_number(server_data_dir, token))
    page = first_page(new_context())
    page.set_viewport_size(PHONE)
    sign_in(page, STAFF)
    wait_for_worker(page)  # the page's script, with its outbox, sends the form
    page.goto(f"/fulfilment/counter?location=BTQ&q={number}")
    sent = _sent_by_the_page(page)
    box, shown = page.locator(f"#checked-{order_id}"), page.locator(f"#shown-{order_id}")
    page.get_by_text("No code? Check their identity").click()

    box.check()
    shown.fill("   ")  # blank to the server, not to the browser's own checks
    page.get_by_role("button", name="Hand over without the code").click()
    expect(page.locator("[data-refusal]")).to_contain_text("Say which document was shown")
    assert [r.resource_type for r in sent] == ["fetch"]  # answered in place, not a new page
    expect(box).to_be_checked()
    expect(shown).to_have_attribute("aria-invalid", "true")
    audit.screenshot(page, "staff", "390x844", "fulfilment-counter-identity-refused")
    assert audit.layout_faults(page) == []

    # A browser that does not check the form itself: the box left unticked, the document named.
    page.locator("form[action='/fulfilment/counter/identity']").evaluate("form => { form.noValidate = true }")
    box.uncheck()
    shown.fill("Passport ending 4821")
    page.get_by_role("button", name="Hand over without the code").click()
    expect(page.locator("[data-refusal]")).to_contain_text("then tick the box")
    assert len(sent) == 2
    expect(shown).to_have_value("Passport ending 4821")
    expect(box).not_to_be_checked()

    box.check()
    page.get_by_role("button", name="Hand over without the code").click()
    expect(page).to_have_url(re.compile(r"/fulfilment/counter\?collected="))
    expect(page.get_by_role("status").filter(has_text=f"Order {number} was handed over.")).to_be_visible()
