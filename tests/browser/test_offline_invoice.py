"""The invoice form without a network: typed with no signal, kept on the phone through a reload,
shown as pending, and issued exactly once with the next number when the network is back."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import sign_in
from tests.browser.test_app_shell import OWNER, reload, wait_for_worker, wait_until_cached

pytestmark = pytest.mark.browser


def _numbers(data_dir: Path, customer: str) -> tuple[int, list[str]]:
    """How many invoices bear a number now, and the numbers of those made for ``customer``."""
    with sqlite3.connect(f"file:{data_dir / 'comptoir.db'}?mode=ro", uri=True) as db:
        issued = db.execute("SELECT count(*) FROM invoices WHERE kind = 'invoice' AND number IS NOT NULL")
        mine = db.execute(
            "SELECT number FROM invoices WHERE json_extract(customer, '$.name') = ?", (customer,)
        )
        return int(issued.fetchone()[0]), [row[0] for row in mine]


def test_an_invoice_typed_offline_is_issued_once_with_the_next_number(
    page: Page, server_data_dir: Path
) -> None:
    customer = f"Atelier {uuid.uuid4().hex[:6]}"
    sign_in(page, OWNER)
    wait_for_worker(page)
    page.goto("/invoices/new")
    wait_until_cached(page, "/invoices/new")
    posts: list[Request] = []
    page.context.on(
        "request", lambda r: r.method == "POST" and r.url.endswith("/invoices/new") and posts.append(r)
    )
    before, _ = _numbers(server_data_dir, customer)

    page.context.set_offline(True)
    page.goto("/invoices/new")  # from the worker's copy
    page.locator("#f-name").fill(customer)
    page.locator("#f-line0_description").fill("Réparation de vélo")
    page.locator("#f-line0_price").fill("45,00")
    page.get_by_role("button", name="Issue the invoice").click()
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "1")
    reload(page)  # still offline: the phone keeps it
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "1")
    page.locator("#outbox summary").click()
    expect(page.locator("#outbox .outbox__item")).to_contain_text("New invoice")
    page.wait_for_timeout(300)
    assert posts == []

    page.context.set_offline(False)

    expect(page).to_have_url(re.compile(r"/invoices/\d+\?saved=issued$"), timeout=15_000)
    year = re.search(r"F-(\d{4})-", page.locator("#doc-title").inner_text())
    assert year is not None
    expected = f"F-{year.group(1)}-{before + 1:06d}"
    expect(page.locator("#doc-title")).to_contain_text(expected)
    expect(page.locator("#outbox")).to_have_attribute("data-pending", "0")
    page.wait_for_timeout(500)  # whatever else might still send it (worker, another replay)
    assert len(posts) == 1
    assert _numbers(server_data_dir, customer) == (before + 1, [expected])
